// One connection the function opened through its environment's network: the
// function's socket (accepted by the relay) and the relay's own socket to the
// server, with the path between them in one of four states:
// - open: bytes, FIN and RST go both ways (through RelayPipe, frozen with the environment);
// - held: the path is gone (the environment was destroyed, or a blackhole):
//   nothing more moves either way, and the server keeps its session until it
//   gives up on it itself (its idle timeout) or the owner releases it;
// - lost: the path forgot the connection: the server's side was closed, and
//   the function learns it only when it writes, by a reset;
// - closed.
import { Socket } from 'node:net';
import type { FaultMoment, NetworkCounts } from './network-types';
import { RelayPipe } from './relay-pipe';

export type PathState = 'open' | 'held' | 'lost' | 'closed';
export type FaultKind = 'blackhole' | 'reset';

export interface RelayContext {
  frozen(): boolean;
  now(): number;
  counts: NetworkCounts;
}

interface ArmedFault {
  kind: FaultKind;
  when: Extract<FaultMoment, 'next-send' | 'after-next-send'>;
  match?: (bytes: Buffer) => boolean;
}

/** Bound on waiting for a released session's socket to close before it is torn down. */
const RELEASE_CLOSE_MS = 2_000;

export class RelayConnection {
  private state: PathState = 'open';
  private readonly server = new Socket({ allowHalfOpen: true });
  private readonly up: RelayPipe;
  private readonly down: RelayPipe;
  private clientEnded = false;
  private clientClosed = false;
  private serverClosed = false;
  private firstEnd?: 'function' | 'server';
  private armed?: ArmedFault;
  private lastActivity: number;
  private connectPending = true;
  /** Counted in `heldNow`: the server keeps a session nothing will use again. */
  private heldSession = false;
  /** Settles when both sockets are closed. */
  readonly done: Promise<void>;

  constructor(private readonly client: Socket, private readonly upstream: { host: string; port: number }, private readonly context: RelayContext) {
    this.lastActivity = context.now();
    context.counts.opened += 1;
    client.setNoDelay(true);
    this.server.setNoDelay(true);
    const open = !context.frozen();
    this.up = new RelayPipe(client, this.server, open);
    this.down = new RelayPipe(this.server, client, open);
    let finished: () => void = () => undefined;
    this.done = new Promise<void>((resolve) => { finished = resolve; });
    const closed = () => {
      if (this.clientClosed && this.serverClosed) {
        this.state = 'closed';
        finished();
      }
    };
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    client.on('end', () => this.clientEnd());
    client.on('error', () => this.clientError());
    client.on('close', () => { this.clientClosed = true; closed(); });
    this.server.on('data', (chunk: Buffer) => this.fromServer(chunk));
    this.server.on('end', () => this.serverEnd());
    this.server.on('error', () => this.serverError());
    this.server.on('close', () => {
      this.serverClosed = true;
      this.unhold();
      closed();
    });
    // A connection made while frozen (a SYN already on its way) reaches the server only at thaw.
    if (open) this.connect();
  }

  get pathState(): PathState {
    return this.state;
  }

  /** The server keeps a session for this connection that nothing will use again. */
  get holdsSession(): boolean {
    return this.heldSession;
  }

  /** The function closed its side itself (FIN relayed): the server is expected to close too. */
  get closedByFunction(): boolean {
    return this.clientEnded;
  }

  /** ms since a byte last crossed the path. */
  idleMs(now: number): number {
    return now - this.lastActivity;
  }

  freeze(): void {
    this.up.close();
    this.down.close();
  }

  /** What waited goes out (a reset from either end included), then reading resumes. */
  thaw(): void {
    if (this.state === 'open' && this.connectPending) this.connect();
    this.up.open();
    this.down.open();
  }

  /** Arms a fault for the function's next send on this connection. */
  arm(kind: FaultKind, when: ArmedFault['when'], match?: (bytes: Buffer) => boolean): void {
    if (this.state === 'open') this.armed = { kind, when, ...(match ? { match } : {}) };
  }

  /** The path is gone for good: nothing more moves either way; the server keeps its session. */
  hold(): boolean {
    if (this.state !== 'open') return false;
    this.state = 'held';
    this.armed = undefined;
    this.up.drop();
    this.down.drop();
    // Nothing will use these sockets again: they must not keep a test process alive.
    this.client.unref();
    this.server.unref();
    if (this.connectPending) {
      // It never reached the server: there is no session to hold.
      this.connectPending = false;
      this.server.destroy();
      return true;
    }
    if (!this.serverClosed) {
      this.heldSession = true;
      this.context.counts.heldNow += 1;
    }
    return true;
  }

  /** A reset from the path: RST to both ends. */
  reset(): void {
    if (this.state === 'closed') return;
    this.unhold();
    this.state = 'closed';
    this.up.drop();
    this.down.drop();
    resetSocket(this.client);
    resetSocket(this.server);
  }

  /**
   * The path forgot the connection: the server's side is closed now (it sees
   * the session end without a COM_QUIT); the function hears nothing until it
   * writes, and then gets a reset.
   */
  loseState(): boolean {
    if (this.state !== 'open') return false;
    this.state = 'lost';
    this.armed = undefined;
    this.up.drop();
    this.down.drop();
    if (this.connectPending) this.server.destroy();
    else this.server.end();
    return true;
  }

  /** Ends a held session the way the server's timeout would end it: the server sees the session go without COM_QUIT. */
  release(): Promise<void> {
    if (!this.heldSession) return Promise.resolve();
    this.context.counts.released += 1;
    this.client.destroy();
    this.server.end();
    const timer = setTimeout(() => this.server.destroy(), RELEASE_CLOSE_MS);
    timer.unref();
    return new Promise<void>((resolve) => {
      this.server.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The server no longer holds a session for this connection. */
  private unhold(): void {
    if (!this.heldSession) return;
    this.heldSession = false;
    this.context.counts.heldNow -= 1;
  }

  private connect(): void {
    this.connectPending = false;
    this.server.connect({ host: this.upstream.host, port: this.upstream.port });
  }

  private fromClient(chunk: Buffer): void {
    if (this.state === 'lost') {
      this.context.counts.resetOnWrite += 1;
      this.state = 'closed';
      this.client.resetAndDestroy();
      return;
    }
    if (this.state !== 'open') return;
    this.lastActivity = this.context.now();
    const armed = this.armed;
    if (armed && (!armed.match || armed.match(chunk))) {
      this.armed = undefined;
      if (armed.when === 'after-next-send') this.up.forceWrite(chunk);
      this.strike(armed.kind);
      return;
    }
    this.up.data(chunk);
  }

  private strike(kind: FaultKind): void {
    if (kind === 'blackhole') {
      if (this.hold()) this.context.counts.blackholed += 1;
    } else {
      this.context.counts.faultReset += 1;
      this.reset();
    }
  }

  private fromServer(chunk: Buffer): void {
    if (this.state !== 'open') return;
    this.lastActivity = this.context.now();
    this.down.data(chunk);
  }

  private clientEnd(): void {
    this.clientEnded = true;
    if (this.state === 'open') {
      this.firstEnd ??= 'function';
      if (this.firstEnd === 'function') this.context.counts.closedByFunction += 1;
      this.up.end();
      return;
    }
    // Its FIN goes nowhere and nothing answers it: held, the socket stays as
    // it is until released; after a lost state the path has nothing to say either.
    if (this.state !== 'held') this.client.destroy();
  }

  private serverEnd(): void {
    if (this.state === 'open') {
      this.firstEnd ??= 'server';
      if (this.firstEnd === 'server') this.context.counts.closedByServer += 1;
      this.down.end();
      return;
    }
    // The server gave up on a session nothing will use again (its idle timeout), or closed after a lost state.
    if (this.state === 'held') this.context.counts.heldEndedByServer += 1;
    this.server.destroy();
  }

  private clientError(): void {
    if (this.state === 'open') {
      this.context.counts.reset += 1;
      this.state = 'closed';
      if (this.connectPending) {
        this.connectPending = false;
        this.server.destroy();
      } else {
        this.up.reset();
      }
    }
    this.client.destroy();
  }

  private serverError(): void {
    if (this.state === 'open') {
      this.context.counts.reset += 1;
      this.state = 'closed';
      this.down.reset();
    }
    this.server.destroy();
  }
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting || socket.pending) socket.destroy();
  else socket.resetAndDestroy();
}
