// Faults on demand: a connection blackholed (nothing answers, nothing
// closes; the server keeps its session) or reset, at once, at the function's
// next send (lost with the path, or delivered and its answer lost), or when
// the next shutdown sequence starts. New connections are not affected.
import { Clock } from '../../src/emulator/clock';
import { NetworkError } from '../../src/emulator/errors';
import { Network } from '../../src/emulator/network';
import { resolveNetwork } from '../../src/emulator/network-options';
import { NetworkModel } from '../../src/emulator/network-types';
import { closeAll, connectClient, echoedConnection, roundTrips, startEchoNetwork, until, type TestServer } from './support/tcp';

let echo: TestServer;
let network: Network;
let relayPort: number;

beforeEach(async () => { ({ echo, network, relayPort } = await startEchoNetwork()); });
afterEach(() => closeAll(echo, [network]));

const connected = () => echoedConnection(echo, relayPort);

/** A fresh connection through the same relay still works. */
async function freshConnectionWorks(): Promise<boolean> {
  const fresh = await connectClient(relayPort);
  fresh.socket.write('fresh');
  await until('the fresh connection\'s echo', () => fresh.received().toString() === 'fresh');
  return true;
}

describe('a blackhole', () => {
  it('at once: nothing answers, nothing closes, the function\'s close never reaches the server, which keeps its session', async () => {
    const { client, server } = await connected();
    network.blackhole('db');
    client.socket.write('into the void');
    server.socket.write('never delivered');
    client.socket.end();
    await roundTrips(echo);
    expect({ serverGot: server.received().toString(), serverEnded: server.ended, clientGot: client.received().toString(), clientEnded: client.ended })
      .toEqual({ serverGot: 'hello', serverEnded: false, clientGot: 'hello', clientEnded: false });
    expect({ held: network.held(), blackholed: network.report().connections.blackholed }).toEqual({ held: 1, blackholed: 1 });
    expect(await freshConnectionWorks()).toBe(true);
  });

  it('at the next send: those bytes are lost (a checkout\'s ping)', async () => {
    const { client, server } = await connected();
    network.blackhole('all', { when: 'next-send' });
    client.socket.write('ping');
    await roundTrips(echo);
    expect({ serverGot: server.received().toString(), clientGot: client.received().toString() }).toEqual({ serverGot: 'hello', clientGot: 'hello' });
    expect(network.held()).toBe(1);
  });

  it('after the next send: the request reaches the server, its answer never comes back (a statement in flight)', async () => {
    const { client, server } = await connected();
    network.blackhole('db', { when: 'after-next-send', match: (bytes) => bytes.includes('INSERT') });
    client.socket.write('SELECT');
    await until('the unmatched send was answered', () => client.received().toString() === 'helloSELECT');
    client.socket.write('INSERT');
    await until('the server got the request', () => server.received().toString() === 'helloSELECTINSERT');
    await roundTrips(echo);
    expect(client.received().toString()).toBe('helloSELECT');
  });

  it('at shutdown: armed now, strikes when the shutdown sequence starts', async () => {
    const { client, server } = await connected();
    network.blackhole('db', { when: 'shutdown' });
    client.socket.write(' before');
    await until('still answered before the shutdown', () => client.received().toString() === 'hello before');
    network.shutdownStarting();
    client.socket.write(' after');
    await roundTrips(echo);
    expect(server.received().toString()).toBe('hello before');
    expect(network.held()).toBe(1);
  });
});

describe('a reset', () => {
  it('at once: RST to both ends', async () => {
    const { client, server } = await connected();
    network.reset('db');
    await until('both ends saw the reset', () => client.error?.code === 'ECONNRESET' && server.error?.code === 'ECONNRESET');
    expect(network.report().connections.faultReset).toBe(1);
    expect(await freshConnectionWorks()).toBe(true);
  });

  it('at the next send: the function\'s write meets the reset', async () => {
    const { client, server } = await connected();
    network.reset('db', { when: 'next-send' });
    client.socket.write('x');
    await until('both ends saw the reset', () => client.error?.code === 'ECONNRESET' && server.error?.code === 'ECONNRESET');
    expect(server.received().toString()).toBe('hello');
  });
});

describe('faults the network cannot inject', () => {
  it('names the unknown upstream', () => {
    expect(() => network.blackhole('cache')).toThrow(NetworkError);
    expect(() => network.blackhole('cache')).toThrow(/no upstream "cache".*db/);
  });

  it('refuses any fault on the direct model, which has no relay, and leaves the function\'s variables as they are', () => {
    const direct = new Network(resolveNetwork(NetworkModel.direct, { DB_HOST: '127.0.0.1', DB_PORT: String(echo.port) }), new Clock());
    expect(() => direct.blackhole()).toThrow(/direct network model has no relay/);
    expect(direct.functionEnv({ DB_HOST: '127.0.0.1', DB_PORT: String(echo.port) })).toEqual({ DB_HOST: '127.0.0.1', DB_PORT: String(echo.port) });
  });
});
