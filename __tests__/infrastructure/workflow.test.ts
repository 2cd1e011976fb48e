// The example pipeline: tests and synth before anything, plan on pull
// requests with the plan attached, deploy on main with OIDC credentials.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';
import type { Json } from './support';

const workflow: Json = parse(readFileSync(path.join(PROJECT_ROOT, '.github/workflows/terraform.yml'), 'utf8'));
const stepsOf = (job: string): Json[] => workflow.jobs[job].steps;
const uses = (job: string, action: string): Json | undefined => stepsOf(job).find((s) => String(s.uses ?? '').startsWith(action));

describe('the example pipeline', () => {
  it('runs on pull requests and on pushes to main', () => {
    expect(workflow.on.pull_request.branches).toEqual(['main']);
    expect(workflow.on.push.branches).toEqual(['main']);
  });

  it('grants nothing beyond reading the repository by default', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('tests (the same .ci/run as CI) and synthesizes with HCL before plan or deploy', () => {
    const runs = stepsOf('test').map((s) => s.run).filter(Boolean);
    expect(runs.slice(0, 2).map((r: string) => r.split('#')[0].trim())).toEqual(['.ci/run', 'npm run synth:hcl']);
    expect(workflow.jobs.plan.needs).toBe('test');
    expect(workflow.jobs.deploy.needs).toBe('test');
  });

  it('plans every stack on pull requests and attaches the plan and the HCL', () => {
    const plan = workflow.jobs.plan;
    expect(plan.if).toBe("github.event_name == 'pull_request'");
    expect(plan.strategy.matrix.stack).toEqual(['dev', 'prod']);
    expect(stepsOf('plan').find((s) => s.name === 'terraform plan').run).toContain('terraform plan -input=false -lock=false -out=tfplan');
    expect(uses('plan', 'actions/upload-artifact').with.path).toContain('cdktf.out/review/${{ matrix.stack }}.tf');
  });

  it('deploys on main only, with OIDC (id-token: write) and a role to assume, never stored keys', () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const creds = uses('deploy', 'aws-actions/configure-aws-credentials');
    expect(creds.with['role-to-assume']).toBe('${{ vars.DEPLOY_ROLE_ARN }}');
    expect(JSON.stringify(workflow)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    expect(stepsOf('deploy').find((s) => s.name === 'terraform apply').run).toContain('terraform apply -input=false -auto-approve');
  });
});
