// What the path does at the environment's end and on a long freeze, by
// model: `destroyed` holds every connection the function had not closed (the
// server keeps its session until it gives up or the owner releases it);
// `local-kernel` relays the killed process's close at once; a freeze longer
// than the path's idle timeout loses the connection's state: the server's
// side closes, the function hears nothing until it writes, then a reset.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Network } from '../../src/emulator/network';
import { NetworkModel } from '../../src/emulator/network-types';
import { closeAll, echoedConnection, roundTrips, startNetwork, startServer, until, type Peer, type TestServer } from './support/tcp';

let echo: TestServer;
const networks: Network[] = [];

beforeEach(async () => {
  echo = await startServer({ echo: true });
});

afterEach(() => closeAll(echo, networks.splice(0)));

async function connected(options: Parameters<typeof startNetwork>[1] = {}): Promise<{ network: Network; client: Peer; server: Peer }> {
  const { network, relayPort } = await startNetwork(echo.port, options);
  networks.push(network);
  return { network, ...(await echoedConnection(echo, relayPort)) };
}

describe('model destroyed (the default): the environment goes, its network with it', () => {
  it('leaves the server holding the session of a connection the function never closed, until released', async () => {
    const { network, client, server } = await connected();
    expect(network.model).toBe(NetworkModel.destroyed);

    await network.environmentGoing();
    // What the kernel does for a SIGKILLed process: close its sockets at once.
    client.socket.destroy();
    await roundTrips(echo);

    expect({ serverEnded: server.ended, held: network.held() }).toEqual({ serverEnded: false, held: 1 });
    expect(network.report().connections).toMatchObject({ heldAtDestroy: 1, heldNow: 1 });
    expect(await network.release()).toBe(1);
    // Released as the server's own timeout would end it: the session goes without anything more from the function.
    await until('the server saw its session end', () => server.ended);
    expect({ received: server.received().toString(), held: network.held() }).toEqual({ received: 'hello', held: 0 });
  });

  it('still closes on the server what the function closed itself before the end', async () => {
    const { network, client, server } = await connected();
    client.socket.end();
    await network.environmentGoing();
    await until('the server got the function\'s FIN', () => server.ended);
    expect(network.report().connections).toMatchObject({ heldAtDestroy: 0, closedByFunction: 1, heldNow: 0 });
  });

  it('lets the server end a held session itself (its idle timeout), and counts it', async () => {
    const { network, client, server } = await connected();
    await network.environmentGoing();
    client.socket.destroy();
    server.socket.end();
    await until('the relay saw the server give up the session', () => network.held() === 0);
    expect(network.report().connections).toMatchObject({ heldAtDestroy: 1, heldEndedByServer: 1 });
  });
});

describe('model local-kernel (the emulator before its network)', () => {
  it('relays the killed process\'s close to the server at once: no session is held', async () => {
    const { network, client, server } = await connected({ model: NetworkModel.localKernel });
    await network.environmentGoing();
    client.socket.destroy();
    await until('the server saw the close', () => server.ended || server.error !== undefined);
    expect({ held: network.held(), heldAtDestroy: network.report().connections.heldAtDestroy }).toEqual({ held: 0, heldAtDestroy: 0 });
  });
});

describe('state lost on the path', () => {
  it('after a freeze longer than the path idle timeout: the server\'s side is closed, the function learns it at its next write, by a reset', async () => {
    const { network, client, server } = await connected({ pathIdleTimeoutMs: 20 });
    network.freeze();
    await sleep(60);
    network.thaw();

    await until('the server saw its side closed', () => server.ended);
    await roundTrips(echo);
    expect({ clientEnded: client.ended, clientError: client.error }).toEqual({ clientEnded: false, clientError: undefined });
    client.socket.write('anyone there?');
    await until('the client got a reset', () => client.error !== undefined);
    expect(client.error?.code).toBe('ECONNRESET');
    expect(server.received().toString()).toBe('hello');
    expect(network.report().connections).toMatchObject({ stateLost: 1, resetOnWrite: 1 });
  });

  it('keeps the state of a freeze shorter than the timeout', async () => {
    const { network, client } = await connected({ pathIdleTimeoutMs: 60_000 });
    network.freeze();
    network.thaw();
    client.socket.write(' again');
    await until('the echo came back', () => client.received().toString() === 'hello again');
    expect(network.report().connections.stateLost).toBe(0);
  });

  it('on demand, whatever the freeze', async () => {
    const { network, client, server } = await connected();
    network.loseState('db');
    await until('the server saw its side closed', () => server.ended);
    client.socket.write('x');
    await until('the client got a reset', () => client.error?.code === 'ECONNRESET');
  });
});
