// What `npm run synth` writes, from the real build output: byte-identical on
// a re-synth (zips, hashes and review HCL included), the same as the cdktf
// CLI's, free of this machine's paths and of secrets.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synth } from '../../scripts/synth';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';
import { readZip, type Json } from './support';

/** Every file under dir, relative path -> bytes. */
function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'synth-output-'));
let first: Map<string, Buffer>;
let second: Map<string, Buffer>;

beforeAll(async () => {
  await synth({ outdir: path.join(tmp, 'a'), hcl: true });
  await synth({ outdir: path.join(tmp, 'b'), hcl: true });
  first = tree(path.join(tmp, 'a'));
  second = tree(path.join(tmp, 'b'));
});

function stackJson(name: string): Json {
  return JSON.parse(first.get(`stacks/${name}/cdk.tf.json`)!.toString());
}

describe('npm run synth output', () => {
  it('has a manifest, one stack per environment with its zips, and review HCL', () => {
    expect([...first.keys()]).toEqual([
      'manifest.json',
      'review/dev.tf', 'review/prod.tf', 'review/steady.tf',
      'stacks/dev/assets/extension-layer.zip', 'stacks/dev/assets/handler.zip', 'stacks/dev/cdk.tf.json',
      'stacks/prod/assets/extension-layer.zip', 'stacks/prod/assets/handler.zip', 'stacks/prod/cdk.tf.json',
      'stacks/steady/assets/extension-layer.zip', 'stacks/steady/assets/handler.zip', 'stacks/steady/cdk.tf.json',
    ]);
  });

  it('is byte-identical when synthesized twice with no change (JSON, zips, HCL)', () => {
    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [file, bytes] of first) expect({ file, same: bytes.equals(second.get(file)!) }).toEqual({ file, same: true });
  });

  it('hashes each zip by its content (source_code_hash = base64 sha256 of the file)', () => {
    for (const stack of ['dev', 'prod', 'steady']) {
      const tf = stackJson(stack);
      const fn = Object.values(tf.resource.aws_lambda_function)[0] as Json;
      const layer = Object.values(tf.resource.aws_lambda_layer_version)[0] as Json;
      for (const r of [fn, layer]) {
        expect(r.source_code_hash).toBe(createHash('sha256').update(first.get(`stacks/${stack}/${r.filename}`)!).digest('base64'));
      }
    }
  });

  it('packages dist/handler and dist/layer with the extension executable', () => {
    const list = (zip: string): string[] => readZip(first.get(zip)!).map((e) => `${e.mode.toString(8)} ${e.name}`);
    // The bundle and the files the build writes beside it (what the handler imports only when it needs them).
    expect(list('stacks/dev/assets/handler.zip')).toEqual(readdirSync(path.join(PROJECT_ROOT, 'dist/handler')).sort().map((file) => `644 ${file}`));
    expect(list('stacks/dev/assets/handler.zip')).toEqual(expect.arrayContaining(['644 index.mjs', '644 signature-v4.mjs', '644 credential-chain.mjs']));
    const layer = list('stacks/dev/assets/extension-layer.zip');
    expect(layer).toContain('755 extensions/graceful-shutdown');
    expect(layer.some((e) => e.startsWith('644 graceful-shutdown/'))).toBe(true);
    expect(readZip(first.get('stacks/dev/assets/handler.zip')!).find((e) => e.name === 'index.mjs')!.data.equals(readFileSync(path.join(PROJECT_ROOT, 'dist/handler/index.mjs')))).toBe(true);
  });

  it('contains no absolute path of this machine', () => {
    for (const [file, bytes] of first) {
      const text = bytes.toString('latin1');
      for (const machinePath of [PROJECT_ROOT, tmp, os.homedir()]) expect({ file, leaks: text.includes(machinePath) }).toEqual({ file, leaks: false });
    }
  });

  it('contains no secret: every password/secret/token field is a reference, never a literal', () => {
    const offenders: string[] = [];
    const visit = (value: unknown, at: string): void => {
      if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${at}[${i}]`));
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          // CDKTF's own metadata (construct paths, output names), which Terraform ignores.
          if (k === '//') continue;
          // Scalars only: objects under such keys are containers (the function user's secret resource, its ARN output), checked as the walk goes deeper.
          const scalar = typeof v === 'string' || typeof v === 'number';
          if (/pass(word)?|secret|token|credential|private_key/i.test(k) && scalar && !(typeof v === 'string' && /^\$\{[^}]+\}$/.test(v))) {
            offenders.push(`${at}.${k}`);
          }
          visit(v, `${at}.${k}`);
        }
      }
    };
    for (const stack of ['dev', 'prod', 'steady']) visit(stackJson(stack), stack);
    expect(offenders).toEqual([]);
    for (const stack of ['dev', 'prod', 'steady']) {
      const text = first.get(`stacks/${stack}/cdk.tf.json`)!.toString();
      expect(text).not.toMatch(/DB_PASSWORD|"password"\s*:/);
    }
  });

  it('renders the same stacks as HCL for review', () => {
    const hcl = first.get('review/prod.tf')!.toString();
    // No TF_STATE_BUCKET in a test run: the pipeline backend is the local file (state-backend.test.ts covers S3).
    expect(hcl).toMatch(/backend "local" \{\s*path\s*=\s*"\.\.\/\.\.\/\.\.\/terraform\.prod\.tfstate"\s*\}/);
    expect(hcl).toContain('resource "aws_db_proxy"');
  });

  it('matches what the cdktf CLI writes from cdktf.json (npx cdktf synth)', () => {
    const cliOut = path.join(tmp, 'cli');
    execFileSync(path.join(PROJECT_ROOT, 'node_modules/.bin/cdktf'), ['synth', '--output', cliOut], {
      cwd: PROJECT_ROOT, env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1' }, stdio: 'pipe', timeout: 60_000,
    });
    const cli = tree(cliOut);
    const ours = new Map([...first].filter(([file]) => !file.startsWith('review/')));
    expect([...cli.keys()]).toEqual([...ours.keys()]);
    for (const [file, bytes] of ours) expect({ file, same: bytes.equals(cli.get(file)!) }).toEqual({ file, same: true });
  });
});
