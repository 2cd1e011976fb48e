// Small programs the lifecycle tests run under the emulator: a configurable
// ESM handler (run by the real aws-lambda-ric) and a configurable external
// extension (a node script with a shebang), written to a temp directory per
// test. Both append what they see to a shared log file, one line per fact,
// so tests can check the order things happened in across processes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExtensionHeader, ExtensionPath, LambdaEnv } from '../../../src/protocol/lambda-api';

/** The raw HTTP helper every fixture script embeds (plain JS, no project imports: fixtures run as they are). */
const HTTP_CALL_SOURCE = `const [host, port] = process.env.${LambdaEnv.runtimeApi}.split(':');
function call(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { data += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}`;

export interface HandlerBehaviour {
  /** What the runtime does on SIGTERM: log it and die of it, log it and keep running, or nothing (no listener). */
  sigterm?: 'log-and-exit' | 'ignore' | 'none';
  /** Registers an internal extension during init under this name (events: none) and parks it in `next`. */
  internalExtension?: string;
  /** Throws during module init. */
  initThrow?: boolean;
}

export interface ExtensionBehaviour {
  events?: string[];
  /** On SHUTDOWN: exit 0 (default), or ignore it and keep running. */
  onShutdown?: 'exit' | 'ignore';
  /** Registers under this name instead of its file name. */
  registerAs?: string;
  exitBeforeRegister?: boolean;
  neverRegister?: boolean;
  initError?: boolean;
  /** Exits with code 5 on its first INVOKE (a crashing extension). */
  exitOnInvoke?: boolean;
  /** Logs its environment once registered. */
  logEnv?: boolean;
}

/** A file of the emulated /opt (the layer) or /var/task (the function package). */
export type MountedRoot = 'layer' | 'task';

export class Sandbox {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-test-'));
  readonly logFile = path.join(this.root, 'events.log');
  readonly handlerDir = path.join(this.root, 'function');
  /** What /opt maps to: the parent of the extensions directory, as for dist/layer. */
  readonly layerDir = path.join(this.root, 'opt');
  readonly extensionsDir = path.join(this.layerDir, 'extensions');
  /** What the runtime read from the socket of the `connect` action. */
  readonly socketFile = path.join(this.root, 'socket-data');

  constructor() {
    fs.mkdirSync(this.handlerDir, { recursive: true });
    fs.mkdirSync(this.extensionsDir, { recursive: true });
  }

  writeHandler(behaviour: HandlerBehaviour = {}): this {
    fs.writeFileSync(path.join(this.handlerDir, 'index.mjs'), handlerSource(behaviour, this.logFile, path.join(this.root, 'timer-fired'), this.socketFile));
    return this;
  }

  writeExtension(name: string, behaviour: ExtensionBehaviour = {}): this {
    const file = path.join(this.extensionsDir, name);
    fs.writeFileSync(file, extensionSource(name, behaviour, this.logFile), { mode: 0o755 });
    return this;
  }

  /** Writes a file under the emulated /opt or /var/task; returns its real path. */
  writeMounted(root: MountedRoot, relative: string, content: string, mode = 0o644): string {
    const file = path.join(root === 'layer' ? this.layerDir : this.handlerDir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
    return file;
  }

  /** The lines of the shared log, in the order they were appended. */
  log(): string[] {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean) : [];
  }

  timerFired(): boolean {
    return fs.existsSync(path.join(this.root, 'timer-fired'));
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

function handlerSource(behaviour: HandlerBehaviour, logFile: string, timerFile: string, socketFile: string): string {
  const config = JSON.stringify({ ...behaviour, logFile, timerFile, socketFile, barrierPrefix: path.join(path.dirname(logFile), 'barrier-') });
  return `
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { isMainThread, threadId } from 'node:worker_threads';
const cfg = ${config};
const log = (line) => fs.appendFileSync(cfg.logFile, 'runtime ' + line + '\\n');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
${HTTP_CALL_SOURCE}
if (cfg.sigterm === 'log-and-exit') {
  process.on('SIGTERM', () => { log('sigterm'); process.removeAllListeners('SIGTERM'); process.kill(process.pid, 'SIGTERM'); });
}
if (cfg.sigterm === 'ignore') process.on('SIGTERM', () => log('sigterm'));
if (cfg.internalExtension) {
  const reg = await call('POST', '${ExtensionPath.register}', { '${ExtensionHeader.name}': cfg.internalExtension }, JSON.stringify({ events: [] }));
  log('internal-registered ' + reg.status);
  // Parked in next for good; the unref'd socket never keeps the runtime alive.
  const req = http.request({ host, port, method: 'GET', path: '${ExtensionPath.next}', agent: false,
    headers: { '${ExtensionHeader.identifier}': reg.headers['${ExtensionHeader.identifier}'] } });
  req.on('socket', (socket) => socket.unref());
  req.on('error', () => {});
  req.end();
}
if (cfg.initThrow) throw new Error('init failed on purpose');
log('init-done');
export const handler = async (event, context) => {
  switch (event.action) {
    case 'echo':
      return {
        event, requestId: context.awsRequestId, arn: context.invokedFunctionArn, remainingMs: context.getRemainingTimeInMillis(),
        traceId: process.env._X_AMZN_TRACE_ID ?? null, env: process.env,
        clientContext: context.clientContext ?? null, identity: context.identity ?? null,
      };
    case 'sleep': await sleep(event.ms); return { slept: event.ms };
    case 'crash': process.kill(process.pid, 'SIGKILL'); return await sleep(10_000);
    case 'fail': throw new Error('handler failed on purpose');
    case 'big': return 'x'.repeat(event.bytes);
    case 'arm': setTimeout(() => fs.writeFileSync(cfg.timerFile, String(Date.now())), event.ms); return { armed: event.ms };
    case 'check': await sleep(event.waitMs ?? 0); return { fired: fs.existsSync(cfg.timerFile) };
    case 'connect': {
      const socket = net.connect(event.port, '127.0.0.1');
      socket.on('data', (data) => fs.appendFileSync(cfg.socketFile, data));
      await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
      return { connected: true };
    }
    case 'received': await sleep(event.waitMs ?? 0); return { data: fs.existsSync(cfg.socketFile) ? fs.readFileSync(cfg.socketFile, 'utf8') : null };
    case 'whoami': return { version: process.version, threadId, isMainThread, pid: process.pid, requestId: context.awsRequestId, n: event.n ?? null };
    case 'barrier': {
      // Returns only once event.count invocations of the same barrier are in the handler at once (bounded wait).
      const file = cfg.barrierPrefix + event.name;
      fs.appendFileSync(file, threadId + '\\n');
      for (let i = 0; i < 1000; i += 1) {
        const arrived = fs.readFileSync(file, 'utf8').split('\\n').filter(Boolean).length;
        if (arrived >= event.count) return { threadId, requestId: context.awsRequestId, arrived };
        await sleep(10);
      }
      throw new Error('barrier ' + event.name + ': fewer than ' + event.count + ' invocations ever ran at once');
    }
    case 'register': {
      const res = await call('POST', '${ExtensionPath.register}', { '${ExtensionHeader.name}': event.name }, JSON.stringify({ events: [] }));
      return { status: res.status, body: JSON.parse(res.body) };
    }
    default: return { ok: true };
  }
};
`;
}

function extensionSource(name: string, behaviour: ExtensionBehaviour, logFile: string): string {
  const config = JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'], onShutdown: 'exit', ...behaviour, name, logFile });
  return `#!/usr/bin/env node
const fs = require('node:fs');
const http = require('node:http');
const cfg = ${config};
const log = (line) => fs.appendFileSync(cfg.logFile, cfg.name + ' ' + line + '\\n');
${HTTP_CALL_SOURCE}
(async () => {
  log('started');
  if (cfg.exitBeforeRegister) process.exit(3);
  if (cfg.neverRegister) { setInterval(() => {}, 1000); return; }
  const reg = await call('POST', '${ExtensionPath.register}', { '${ExtensionHeader.name}': cfg.registerAs ?? cfg.name }, JSON.stringify({ events: cfg.events }));
  log('registered ' + reg.status);
  if (reg.status !== 200) { log('register-refused ' + reg.body); process.exit(4); }
  const id = reg.headers['${ExtensionHeader.identifier}'];
  log('version ' + process.version);
  if (cfg.logEnv) log('env ' + JSON.stringify(process.env));
  if (cfg.initError) {
    await call('POST', '${ExtensionPath.initError}', { '${ExtensionHeader.identifier}': id, '${ExtensionHeader.functionErrorType}': 'Extension.TestInitError' }, '{}');
    process.exit(1);
  }
  for (let i = 0; i < 10000; i += 1) {
    const next = await call('GET', '${ExtensionPath.next}', { '${ExtensionHeader.identifier}': id });
    log('event ' + next.body);
    const event = JSON.parse(next.body);
    if (event.eventType === 'INVOKE' && cfg.exitOnInvoke) process.exit(5);
    if (event.eventType === 'SHUTDOWN') {
      if (cfg.onShutdown === 'ignore') { setInterval(() => {}, 1000); return; }
      process.exit(0);
    }
  }
})().catch((error) => { console.error(error); process.exit(2); });
`;
}
