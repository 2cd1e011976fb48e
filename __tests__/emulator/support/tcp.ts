// Plain TCP peers for the network tests: a server on 127.0.0.1 port 0 that
// records every connection (and echoes, when asked), a client that records
// what it got, and a bounded wait for a state.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Clock } from '../../../src/emulator/clock';
import { Network } from '../../../src/emulator/network';
import { resolveNetwork } from '../../../src/emulator/network-options';
import type { NetworkOptions } from '../../../src/emulator/network-types';

/** Polls `check` until it holds; bounded in count and time, then throws with `what`. */
export async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 5_000; i += 1) {
    if (check()) return;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`timed out waiting until ${what}`);
}

export interface Peer {
  socket: Socket;
  received(): Buffer;
  ended: boolean;
  closed: boolean;
  error?: NodeJS.ErrnoException;
}

function record(socket: Socket): Peer {
  const chunks: Buffer[] = [];
  const peer: Peer = { socket, received: () => Buffer.concat(chunks), ended: false, closed: false };
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('end', () => { peer.ended = true; });
  socket.on('close', () => { peer.closed = true; });
  socket.on('error', (error: NodeJS.ErrnoException) => { peer.error = error; });
  return peer;
}

export interface TestServer {
  port: number;
  peers: Peer[];
  close(): Promise<void>;
}

/**
 * A server that records its connections. `echo`: every byte goes straight
 * back, and its FIN answers the client's (half-close honoured).
 */
export async function startServer(options: { echo?: boolean } = {}): Promise<TestServer> {
  const peers: Peer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const peer = record(socket);
    peers.push(peer);
    if (options.echo) {
      socket.on('data', (chunk: Buffer) => socket.write(chunk));
      socket.on('end', () => socket.end());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    peers,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

const clients = new Set<Socket>();

/** Destroys every client still open (afterEach): a half-open client would keep the test process alive. */
export function destroyClients(): void {
  for (const socket of clients) socket.destroy();
  clients.clear();
}

/** A client connected (allowHalfOpen, so its FIN and the server's are separate facts). */
export async function connectClient(port: number): Promise<Peer> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  clients.add(socket);
  socket.once('close', () => clients.delete(socket));
  const peer = record(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return peer;
}

/** A network with one upstream `db` pointing at `port`, listening. */
export async function startNetwork(port: number, options: Omit<NetworkOptions, 'upstreams'> = {}): Promise<{ network: Network; relayPort: number }> {
  const network = new Network(resolveNetwork({ ...options, upstreams: { db: { host: '127.0.0.1', port } } }, {}), new Clock());
  await network.start();
  const relay = network.report().upstreams[0]?.relay;
  if (!relay) throw new Error('the network has no relay');
  return { network, relayPort: Number(relay.split(':')[1]) };
}

/**
 * Round trips on a path that is not under test: once they are done, bytes a
 * working relay had been given before them have had every chance to arrive.
 * What is then still missing was withheld, not late.
 */
export async function roundTrips(server: TestServer, count = 3): Promise<void> {
  const control = await connectClient(server.port);
  for (let i = 1; i <= count; i += 1) {
    control.socket.write('x');
    await until('a control round trip', () => control.received().length >= i);
  }
  control.socket.destroy();
}

/** An echo server and a network whose `db` relay leads to it. */
export async function startEchoNetwork(): Promise<{ echo: TestServer; network: Network; relayPort: number }> {
  const echo = await startServer({ echo: true });
  return { echo, ...(await startNetwork(echo.port)) };
}

/** The afterEach of a network test: every client destroyed, each network released and closed, then the server. */
export async function closeAll(echo: TestServer, networks: readonly Network[]): Promise<void> {
  destroyClients();
  for (const network of networks) {
    await network.release();
    network.close();
  }
  await echo.close();
}

/** A client through the relay whose hello has come back, and the server's side of that connection. */
export async function echoedConnection(echo: TestServer, relayPort: number): Promise<{ client: Peer; server: Peer }> {
  const client = await connectClient(relayPort);
  const index = echo.peers.length;
  client.socket.write('hello');
  await until('the echo came back', () => client.received().toString() === 'hello');
  const server = echo.peers[index];
  if (!server) throw new Error('the server never saw the connection');
  return { client, server };
}
