// The pieces the plan checks are made of, each on its own: finding terraform
// and a provider mirror, the CLI configuration, the loopback STS and IAM, the
// egress guard, the temporary copy. No terraform needed here.
import { request } from 'node:http';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliConfigText } from '../../src/offline-plan/cli-config';
import { findProviderMirror, findTerraform, mirroredAwsVersions, terraformPlatform } from '../../src/offline-plan/discovery';
import { TerraformNotFoundError } from '../../src/offline-plan/errors';
import { startEgressGuard } from '../../src/offline-plan/egress-guard';
import { PLAN_ACCOUNT_ID, startIamStub, startStsStub } from '../../src/offline-plan/sts-stub';
import { terraformEnv } from '../../src/offline-plan/terraform-process';
import { OVERRIDE_FILE, prepareWorkspace } from '../../src/offline-plan/workspace';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'terraform-tools-'));
}

/** A filesystem mirror holding the given aws provider versions (empty files stand in for the binaries). */
function mirrorWith(versions: string[]): string {
  const root = tempDir();
  for (const version of versions) {
    const dir = path.join(root, 'registry.terraform.io', 'hashicorp', 'aws', version, terraformPlatform());
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `terraform-provider-aws_v${version}_x5`), '');
  }
  return root;
}

describe('finding terraform', () => {
  it('fails with how to install it when no terraform is on PATH', () => {
    const empty = tempDir();
    expect(() => findTerraform({ PATH: empty })).toThrow(TerraformNotFoundError);
    expect(() => findTerraform({ PATH: empty })).toThrow(/Install Terraform >= 1\.10 .*apt-get install terraform.*TERRAFORM_BIN/);
  });

  it('takes the first executable terraform on PATH', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'terraform'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'terraform'), 0o755);
    expect(findTerraform({ PATH: `${tempDir()}${path.delimiter}${dir}` })).toBe(path.join(dir, 'terraform'));
  });

  it('names TERRAFORM_BIN when it points at nothing runnable', () => {
    expect(() => findTerraform({ TERRAFORM_BIN: path.join(tempDir(), 'nope'), PATH: '' })).toThrow(/TERRAFORM_BIN=.*nope is not an executable file/);
  });
});

describe('finding a provider mirror', () => {
  it('lists the aws provider versions of a mirror, oldest first', () => {
    expect(mirroredAwsVersions(mirrorWith(['6.25.0', '5.100.0']))).toEqual(['5.100.0', '6.25.0']);
  });

  it('uses TF_PROVIDER_MIRROR first', () => {
    const root = mirrorWith(['5.100.0']);
    expect(findProviderMirror({ TF_PROVIDER_MIRROR: root, HOME: tempDir() })).toEqual({ root, versions: ['5.100.0'], foundBy: '$TF_PROVIDER_MIRROR' });
  });

  it('uses no mirror when TF_PROVIDER_MIRROR is none, so the registry serves', () => {
    const home = tempDir();
    cpSync(mirrorWith(['5.100.0']), path.join(home, '.terraform.d', 'plugins'), { recursive: true });
    expect(findProviderMirror({ HOME: home })).toBeDefined();
    expect(findProviderMirror({ HOME: home, TF_PROVIDER_MIRROR: 'none' })).toBeUndefined();
  });

  it('names TF_PROVIDER_MIRROR when it holds no aws provider', () => {
    expect(() => findProviderMirror({ TF_PROVIDER_MIRROR: tempDir() })).toThrow(/TF_PROVIDER_MIRROR=.* holds no registry\.terraform\.io\/hashicorp\/aws provider/);
  });

  it('finds a mirror in a Terraform implied mirror directory under HOME', () => {
    const home = tempDir();
    const plugins = path.join(home, '.terraform.d', 'plugins');
    const source = mirrorWith(['5.100.0']);
    mkdirSync(plugins, { recursive: true });
    for (const entry of readdirSync(source)) cpSync(path.join(source, entry), path.join(plugins, entry), { recursive: true });
    expect(findProviderMirror({ HOME: home })).toMatchObject({ root: plugins, versions: ['5.100.0'] });
  });
});

describe('the CLI configuration of a run', () => {
  it('takes hashicorp/aws only from the mirror, everything else from the registry', () => {
    const text = cliConfigText({ root: '/opt/tf-plugins', versions: ['5.100.0'], foundBy: 'test' }, '/tmp/cache');
    expect(text).toContain('plugin_cache_dir = "/tmp/cache"');
    expect(text).toMatch(/filesystem_mirror \{\s+path\s+= "\/opt\/tf-plugins"\s+include = \["registry\.terraform\.io\/hashicorp\/aws"\]/);
    expect(text).toMatch(/direct \{\s+exclude = \["registry\.terraform\.io\/hashicorp\/aws"\]/);
  });

  it('leaves installation to the registry when there is no mirror', () => {
    expect(cliConfigText(undefined, '/tmp/cache')).toBe('plugin_cache_dir = "/tmp/cache"\n');
  });
});

describe('the loopback STS', () => {
  it('answers GetCallerIdentity with the plan account, on 127.0.0.1', async () => {
    const sts = await startStsStub();
    try {
      expect(sts.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(sts.endpoint, { method: 'POST', body: 'Action=GetCallerIdentity&Version=2011-06-15', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`<Account>${PLAN_ACCOUNT_ID}</Account>`);
      expect(sts.actions).toEqual(['GetCallerIdentity']);
    } finally {
      await sts.close();
    }
  });

  it('refuses any other action with an error that names it', async () => {
    const sts = await startStsStub();
    try {
      const res = await fetch(sts.endpoint, { method: 'POST', body: 'Action=AssumeRole&Version=2011-06-15', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('not AssumeRole');
    } finally {
      await sts.close();
    }
  });
});

describe('the loopback IAM', () => {
  // The provider asks IAM GetUser for its account before STS; refused here, it asks the loopback STS.
  it('refuses every action with an error that names it, on 127.0.0.1', async () => {
    const iam = await startIamStub();
    try {
      expect(iam.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(iam.endpoint, { method: 'POST', body: 'Action=GetUser&Version=2010-05-08', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('not GetUser');
      expect(iam.actions).toEqual(['GetUser']);
    } finally {
      await iam.close();
    }
  });
});

describe('the egress guard', () => {
  it('refuses an HTTPS tunnel (CONNECT) and records where it was going', async () => {
    const guard = await startEgressGuard();
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(guard.proxyUrl);
        const req = request({ host: url.hostname, port: Number(url.port), method: 'CONNECT', path: 'logs.eu-west-1.amazonaws.com:443' });
        req.on('connect', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(403);
      expect(guard.attempts).toEqual(['logs.eu-west-1.amazonaws.com:443']);
    } finally {
      await guard.close();
    }
  });

  it('refuses a plain HTTP request sent through it and records its URL', async () => {
    const guard = await startEgressGuard();
    try {
      const url = new URL(guard.proxyUrl);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: url.hostname, port: Number(url.port), method: 'GET', path: 'http://169.254.169.254/latest/meta-data/' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(403);
      expect(guard.attempts).toEqual(['http://169.254.169.254/latest/meta-data/']);
    } finally {
      await guard.close();
    }
  });

  it('is every guarded command\'s proxy, whatever proxy settings the caller has, and init keeps the caller\'s', () => {
    const caller = { ...process.env };
    process.env.https_proxy = 'http://corporate.example:3128';
    process.env.NO_PROXY = '.amazonaws.com';
    try {
      const base = { bin: 'terraform', cliConfigFile: '/tmp/tfrc', tmpDir: '/tmp' };
      const guarded = terraformEnv({ ...base, egressProxy: 'http://127.0.0.1:9' });
      const proxyVars = Object.fromEntries(Object.entries(guarded).filter(([k]) => /_proxy$/i.test(k)));
      expect(proxyVars).toEqual({
        HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost',
      });
      expect(terraformEnv(base)).toMatchObject({ https_proxy: 'http://corporate.example:3128', NO_PROXY: '.amazonaws.com' });
    } finally {
      process.env = caller;
    }
  });
});

describe('the temporary copy a stack is planned in', () => {
  it('gets a local backend, fake credentials, the skip flags, no retries and the STS and IAM endpoints, and the stack directory is only read', () => {
    const stackDir = tempDir();
    mkdirSync(path.join(stackDir, 'assets'));
    writeFileSync(path.join(stackDir, 'assets', 'handler.zip'), 'zip');
    writeFileSync(path.join(stackDir, 'cdk.tf.json'), '{"terraform":{"backend":{"s3":{"bucket":"b","key":"k","region":"eu-west-1"}}}}');
    const dir = prepareWorkspace({ form: 'json', stackDir, dir: path.join(tempDir(), 'copy'), endpoints: { sts: 'http://127.0.0.1:1', iam: 'http://127.0.0.1:2' } });
    expect(readdirSync(dir).sort()).toEqual(['assets', 'cdk.tf.json', OVERRIDE_FILE].sort());
    expect(JSON.parse(readFileSync(path.join(dir, OVERRIDE_FILE), 'utf8'))).toEqual({
      terraform: { backend: { local: { path: 'terraform.tfstate' } } },
      provider: {
        aws: [{
          access_key: 'AKIAPLANONLY00000000',
          secret_key: 'plan-only-not-a-secret',
          skip_credentials_validation: true,
          skip_metadata_api_check: true,
          skip_region_validation: true,
          max_retries: 1,
          endpoints: [{ sts: 'http://127.0.0.1:1', iam: 'http://127.0.0.1:2' }],
        }],
      },
    });
    expect(readdirSync(stackDir).sort()).toEqual(['assets', 'cdk.tf.json']);
  });
});
