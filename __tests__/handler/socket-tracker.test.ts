import * as net from 'node:net';
import { SocketTracker } from '../../src/handler/socket-tracker';

describe('SocketTracker.closeBy', () => {
  let server: net.Server;
  const peers: net.Socket[] = [];

  beforeAll(async () => {
    server = net.createServer((socket) => peers.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const peer of peers) peer.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('counts a socket the peer reset as closed with an error, one it closed in order as clean, and destroys the rest', async () => {
    const { port } = server.address() as net.AddressInfo;
    const tracker = new SocketTracker();
    const sockets = [tracker.open('127.0.0.1', port), tracker.open('127.0.0.1', port), tracker.open('127.0.0.1', port)];
    for (const socket of sockets) socket.on('error', () => undefined);
    for (let i = 0; i < 200 && peers.length < 3; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(peers).toHaveLength(3);

    peers[0].resetAndDestroy();
    peers[1].end();
    const outcome = await tracker.closeBy(Date.now() + 300, Date.now, 100);

    expect(outcome).toEqual({ closedCleanly: 1, closedWithError: 1, destroyed: 1 });
    expect(tracker.openCount).toBe(0);
  });
});
