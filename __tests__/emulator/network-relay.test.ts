// The relay carries real traffic: bytes both ways in order, many connections
// at once, a large transfer, half-close in each direction, resets; and it
// freezes with the environment: no byte and no FIN moves either way until
// the thaw, then everything that waited arrives in order.
import { createHash, randomBytes } from 'node:crypto';
import type { Network } from '../../src/emulator/network';
import { closeAll, connectClient, roundTrips, startEchoNetwork, until, type TestServer } from './support/tcp';

let echo: TestServer;
let network: Network;
let relayPort: number;

beforeEach(async () => { ({ echo, network, relayPort } = await startEchoNetwork()); });
afterEach(() => closeAll(echo, [network]));

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('the relay', () => {
  it('carries bytes both ways, in order, on many connections at once, each to its own', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectClient(relayPort)));
    const sent = clients.map(() => randomBytes(64 * 1024));
    clients.forEach((client, i) => {
      // In pieces, so the relay's chunks and the sender's differ.
      const payload = sent[i] as Buffer;
      for (let offset = 0; offset < payload.length; offset += 5_000) client.socket.write(payload.subarray(offset, offset + 5_000));
    });
    await until('every client got its bytes back', () => clients.every((client, i) => client.received().length >= (sent[i] as Buffer).length));
    expect(clients.map((client) => sha(client.received()))).toEqual(sent.map(sha));
    expect(network.report().connections.opened).toBe(20);
  });

  it('carries a large transfer intact through a reader slower than the writer', async () => {
    const client = await connectClient(relayPort);
    const payload = randomBytes(16 * 1024 * 1024);
    client.socket.pause();
    client.socket.write(payload);
    // The client reads nothing yet: the path fills up and stays consistent.
    await until('the server received every byte', () => echo.peers[0]?.received().length === payload.length, 20_000);
    client.socket.resume();
    await until('the client got every byte back', () => client.received().length === payload.length, 20_000);
    expect(sha(client.received())).toBe(sha(payload));
  });

  it('relays a half-close each way: the client\'s FIN first, the server still answers, then its own FIN', async () => {
    const client = await connectClient(relayPort);
    client.socket.end('last words');
    await until('the client got the echo and the server\'s FIN', () => client.ended);
    expect(client.received().toString()).toBe('last words');
    expect(echo.peers[0]?.ended).toBe(true);
    expect(network.report().connections).toMatchObject({ closedByFunction: 1, closedByServer: 0 });
  });

  it('relays the server\'s FIN while the client may still write', async () => {
    const client = await connectClient(relayPort);
    await until('the server has the connection', () => echo.peers.length === 1);
    echo.peers[0]?.socket.end();
    await until('the client got the server\'s FIN', () => client.ended);
    client.socket.end('after your FIN');
    await until('the server got the bytes written after its FIN', () => echo.peers[0]?.received().toString() === 'after your FIN');
    expect(network.report().connections).toMatchObject({ closedByServer: 1 });
  });

  it('relays a reset: the function\'s socket destroyed with RST resets the server\'s', async () => {
    const client = await connectClient(relayPort);
    await until('the server has the connection', () => echo.peers.length === 1);
    client.socket.resetAndDestroy();
    await until('the server saw the reset', () => echo.peers[0]?.error?.code === 'ECONNRESET');
    expect(network.report().connections.reset).toBe(1);
  });
});

describe('the relay, frozen with the environment', () => {
  it('moves no byte and no FIN either way while frozen, and delivers all of it in order at the thaw', async () => {
    const client = await connectClient(relayPort);
    await until('the server has the connection', () => echo.peers.length === 1);
    const server = echo.peers[0];
    network.freeze();
    client.socket.write('frozen write');
    server?.socket.write('server wrote while frozen ');
    server?.socket.end();
    // Bytes and a FIN any working path would have carried by now.
    await roundTrips(echo);
    expect({ serverGot: server?.received().length, clientGot: client.received().length, clientEnded: client.ended })
      .toEqual({ serverGot: 0, clientGot: 0, clientEnded: false });

    network.thaw();
    await until('the client got what waited and the FIN', () => client.ended);
    expect(client.received().toString()).toBe('server wrote while frozen ');
    await until('the server got the frozen write', () => server?.received().toString() === 'frozen write');
  });

  it('does not reach the server with a connection opened while frozen until the thaw', async () => {
    network.freeze();
    const client = await connectClient(relayPort);
    client.socket.write('hello');
    await roundTrips(echo);
    expect(echo.peers).toHaveLength(1);
    network.thaw();
    await until('the server got the connection and its bytes', () => echo.peers[1]?.received().toString() === 'hello');
    await until('the echo came back', () => client.received().toString() === 'hello');
  });
});
