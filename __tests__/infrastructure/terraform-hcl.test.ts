// The review HCL is Terraform a team can copy into a root module: policies as
// jsonencode with their references as expressions, references unquoted, the
// versions block intact. (terraform-plan.test.ts runs terraform validate and
// plan on it; these are the readable properties, checked without terraform.)
import { renderReviewHcl } from '../../src/infrastructure/hcl-review';
import { hclValue, jsonencodeExpression, templateExpression } from '../../src/infrastructure/hcl-expression';
import { DEV_INPUT, synthEnvironment } from './support';

let dev: string;
let prod: string;

beforeAll(async () => {
  dev = await renderReviewHcl(synthEnvironment('dev', DEV_INPUT).stack);
  prod = await renderReviewHcl(synthEnvironment('prod', {
    ...DEV_INPUT,
    backend: { type: 's3', bucket: 'state-bucket', key: 'prod.tfstate', useLockfile: true },
  }).stack);
});

describe('the review HCL', () => {
  it('writes every IAM policy as jsonencode({...}), never as a JSON string', () => {
    expect(dev).toMatch(/^\s+policy = jsonencode\(\{$/m);
    expect(dev).toMatch(/^\s+assume_role_policy = jsonencode\(\{$/m);
    expect(dev).not.toMatch(/policy\s+=\s+"/);
  });

  it('writes a reference inside a policy as an interpolation in a quoted template', () => {
    expect(dev).toMatch(/Resource = "arn:\$\{data\.aws_partition\.partition\.partition\}:rds-db:eu-west-1:\$\{data\.aws_caller_identity\.account\.account_id\}:dbuser:\$\{element\(split\(":", aws_db_proxy\.[\w-]+\.arn\), 6\)\}\/\w+"/);
  });

  it('writes depends_on entries as references, not quoted addresses', () => {
    const entries = [...dev.matchAll(/depends_on = \[([^\]]*)\]/g)].flatMap((m) => m[1].split(',').map((e) => e.trim()).filter(Boolean));
    expect(entries).toContainEqual(expect.stringMatching(/^aws_cloudwatch_log_group\.[\w-]+$/));
    expect(entries.filter((e) => !/^[a-z0-9_]+\.[\w-]+$/.test(e))).toEqual([]);
  });

  it('writes a reference that is a whole value as a bare expression', () => {
    expect(dev).toMatch(/^\s+vpc_id\s+= aws_vpc\.[\w-]+\.id$/m);
    expect(dev).not.toMatch(/= "\$\{[^"]*\}"$/m);
  });

  it('keeps required_version, the provider constraint and the backend in the terraform block', () => {
    const block = prod.slice(0, prod.indexOf('\n}\n'));
    expect(block).toMatch(/^terraform \{\n\s+required_version = ">= 1\.10\.0"$/m);
    expect(block).toMatch(/required_providers \{\n\s+aws = \{[^}]*source\s+= "hashicorp\/aws"/);
    expect(block).toMatch(/required_providers \{\n\s+aws = \{[^}]*version = ">= 6\.19\.0, < 7\.0\.0"/);
    expect(prod).toMatch(/backend "s3" \{[^}]*bucket\s+= "state-bucket"[^}]*use_lockfile = true/);
    expect(prod).not.toMatch(/^\s*0 = /m);
  });
});

describe('JSON-syntax strings as HCL expressions', () => {
  it('turns an interpolation-only string into the bare expression', () => {
    expect(templateExpression('${aws_vpc.main.id}')).toBe('aws_vpc.main.id');
  });

  it('escapes quotes and backslashes outside interpolations and keeps quotes inside them', () => {
    expect(templateExpression('say "hi" \\ ${split(":", var.x)[0]}')).toBe('"say \\"hi\\" \\\\ ${split(":", var.x)[0]}"');
  });

  it('keeps an escaped $${ literal as it is', () => {
    expect(templateExpression('cost: $${not_a_ref}')).toBe('"cost: $${not_a_ref}"');
  });

  it('renders a policy document with a reference as jsonencode of an HCL object', () => {
    const policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt"],"Resource":"${aws_kms_key.k.arn}","Condition":{"StringEquals":{"kms:ViaService":"s.amazonaws.com"}}}]}';
    expect(jsonencodeExpression(policy)).toBe([
      'jsonencode({',
      '  Version = "2012-10-17"',
      '  Statement = [',
      '    {',
      '      Effect = "Allow"',
      '      Action = [',
      '        "kms:Decrypt",',
      '      ]',
      '      Resource = aws_kms_key.k.arn',
      '      Condition = {',
      '        StringEquals = {',
      '          "kms:ViaService" = "s.amazonaws.com"',
      '        }',
      '      }',
      '    },',
      '  ]',
      '})',
    ].join('\n'));
  });

  it('leaves a string that is not a JSON object to the template rendering', () => {
    expect(jsonencodeExpression('arn:aws:iam::${data.x.y.z}:root')).toBeUndefined();
    expect(hclValue([1, true, null, 'a'])).toBe('[\n  1,\n  true,\n  null,\n  "a",\n]');
  });
});
