// An environment's network around a real runtime (aws-lambda-ric, a handler
// that opens one TCP connection to DB_HOST:DB_PORT): the function's
// environment names the relay; a SIGKILLed runtime's connection stays open on
// the server with model `destroyed` and is closed at once with
// `local-kernel`; what the function closed itself is closed either way; the
// report says which model ran.
import { InitFailedError, type Environment } from '../../src/emulator';
import { NetworkModel } from '../../src/emulator/network-types';
import { useLifecycle } from './support/lifecycle';
import { roundTrips, startServer, until, type TestServer } from './support/tcp';

const HANDLER = `import net from 'node:net';
let socket;
if (process.env.CONNECT_THEN_FAIL_INIT) {
  const early = net.connect(Number(process.env.DB_PORT), process.env.DB_HOST);
  await new Promise((resolve, reject) => { early.once('connect', resolve); early.once('error', reject); });
  early.write('hello');
  // aws-lambda-ric rethrows once its /init/error is answered, and the process exits: the emulator answers only once the network is gone.
  setInterval(() => {}, 1000);
  throw new Error('init fails after connecting');
}
export const handler = async (event) => {
  if (event.action === 'env') return { host: process.env.DB_HOST, port: process.env.DB_PORT };
  if (event.action === 'connect') {
    socket = net.connect(Number(process.env.DB_PORT), process.env.DB_HOST);
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.resume();
    socket.write('hello');
    return { connected: true };
  }
  if (event.action === 'close') {
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
    return { closed: true };
  }
  return { unknown: event.action };
};
`;

const lifecycle = useLifecycle();
let server: TestServer;
const environments: Environment[] = [];

beforeEach(async () => {
  server = await startServer({ echo: true });
});

afterEach(async () => {
  for (const env of environments.splice(0)) await env.network.release();
  await server.close();
});

async function start(network?: NetworkModel, extra: Record<string, string> = {}): Promise<Environment> {
  const sandbox = lifecycle.sandbox();
  sandbox.writeMounted('task', 'index.mjs', HANDLER);
  const env = await lifecycle.start(sandbox, {
    extensionsDir: null,
    env: { DB_HOST: '127.0.0.1', DB_PORT: String(server.port), ...extra },
    ...(network ? { network } : {}),
  });
  environments.push(env);
  return env;
}

async function connect(env: Environment) {
  const index = server.peers.length;
  expect((await env.invoke({ action: 'connect' })).payload).toEqual({ connected: true });
  await until('the server got the function\'s bytes', () => server.peers[index]?.received().toString() === 'hello');
  return server.peers[index] as NonNullable<(typeof server.peers)[number]>;
}

describe('an environment\'s network', () => {
  it('names the relay in the function\'s environment in place of the server, and reports the model', async () => {
    const env = await start();
    const { payload } = await env.invoke({ action: 'env' });
    const relay = env.report().network.upstreams[0]?.relay;
    expect(payload).toEqual({ host: '127.0.0.1', port: relay?.split(':')[1] });
    expect(relay).not.toBe(`127.0.0.1:${server.port}`);
    expect(env.report().network).toMatchObject({ model: NetworkModel.destroyed, upstreams: [{ name: 'db', server: `127.0.0.1:${server.port}` }] });
  });

  it('destroyed (the default): the SIGKILLed runtime\'s connection stays open on the server until released', async () => {
    const env = await start();
    const session = await connect(env);

    const report = await env.shutdown();
    await roundTrips(server);

    expect(report.processes.find((p) => p.kind === 'runtime')).toMatchObject({ signal: 'SIGKILL', killedByEmulator: true });
    expect({ serverSawClose: session.ended || session.closed, held: env.network.held() }).toEqual({ serverSawClose: false, held: 1 });
    expect(report.network.connections).toMatchObject({ opened: 1, heldAtDestroy: 1, heldNow: 1 });
    expect(report.network.upstreams).toMatchObject([{ name: 'db', held: 1 }]);
    expect(await env.network.release('db')).toBe(1);
    await until('the released session ended on the server', () => session.ended);
  });

  it('local-kernel (the baseline): the kernel\'s close of the killed runtime\'s socket reaches the server at once', async () => {
    const env = await start(NetworkModel.localKernel);
    const session = await connect(env);

    const report = await env.shutdown();

    await until('the server saw the close', () => session.ended || session.error !== undefined);
    expect({ held: env.network.held(), model: report.network.model }).toEqual({ held: 0, model: NetworkModel.localKernel });
  });

  it('destroyed: what the function closed itself before the end is closed on the server', async () => {
    const env = await start();
    const session = await connect(env);
    expect((await env.invoke({ action: 'close' })).payload).toEqual({ closed: true });

    const report = await env.shutdown();

    expect(session.ended).toBe(true);
    expect(report.network.connections).toMatchObject({ closedByFunction: 1, heldAtDestroy: 0, heldNow: 0 });
  });

  it('destroyed: a failed Init takes its network with it, and the connection its runtime opened stays open on the server', async () => {
    const failed = await start(undefined, { CONNECT_THEN_FAIL_INIT: '1' }).then(() => 'started', (error: unknown) => error);
    expect(failed).toBeInstanceOf(InitFailedError);
    const session = server.peers[0];
    await until('the server got the early bytes', () => session?.received().toString() === 'hello');
    await roundTrips(server);
    expect({ serverSawClose: session?.ended || session?.closed }).toEqual({ serverSawClose: false });
  });

  it('destroyed: a runtime that exits the instant its init error is answered cannot close what the failed Init holds', async () => {
    // Not aws-lambda-ric: a runtime of a few lines, so the exit follows the answer with nothing between them.
    const runtime = [
      "const net = require('node:net'); const http = require('node:http');",
      'const early = net.connect(Number(process.env.DB_PORT), process.env.DB_HOST, () => {',
      "  early.write('hello');",
      "  const post = http.request({ host: process.env.AWS_LAMBDA_RUNTIME_API.split(':')[0], port: Number(process.env.AWS_LAMBDA_RUNTIME_API.split(':')[1]),",
      "    path: '/2018-06-01/runtime/init/error', method: 'POST' }, () => process.exit(1));",
      "  post.end(JSON.stringify({ errorMessage: 'init fails after connecting', errorType: 'Runtime.Test' }));",
      '});',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const sandbox = lifecycle.sandbox();
    sandbox.writeMounted('task', 'index.mjs', HANDLER);
    const failed = await lifecycle.start(sandbox, {
      extensionsDir: null, runtimeCommand: [process.execPath, '-e', runtime],
      env: { DB_HOST: '127.0.0.1', DB_PORT: String(server.port) },
    }).then(() => 'started', (error: unknown) => error);
    expect(failed).toBeInstanceOf(InitFailedError);
    const session = server.peers[0];
    await until('the server got the early bytes', () => session?.received().toString() === 'hello');
    await roundTrips(server);
    expect({ serverSawClose: session?.ended || session?.closed }).toEqual({ serverSawClose: false });
  });

  it('direct: no relay, the function\'s variables exactly as given', async () => {
    const env = await start(NetworkModel.direct);
    expect((await env.invoke({ action: 'env' })).payload).toEqual({ host: '127.0.0.1', port: String(server.port) });
    expect(env.report().network.upstreams).toEqual([{ name: 'db', server: `127.0.0.1:${server.port}`, held: 0 }]);
  });
});
