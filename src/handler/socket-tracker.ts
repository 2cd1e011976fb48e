// Every TCP socket the pool opens, from birth (mysql2's `stream` factory) to
// its 'close'. The drain's guarantee is stated in sockets, not in mysql2's
// bookkeeping: a socket the SERVER closed after our COM_QUIT proves the quit
// arrived; one we had to destroy is reported as such.
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

const KEEPALIVE_INITIAL_DELAY_MS = 30_000;

interface TrackedSocket {
  socket: Socket;
  closed: Promise<void>;
  isClosed: boolean;
  /** Closed by an error (ECONNRESET, EPIPE): the server did not take a COM_QUIT on it. */
  closedWithError: boolean;
}

export interface CloseOutcome {
  /** Closed (by the server, after COM_QUIT) before the deadline. */
  closedCleanly: number;
  /** Closed before the deadline, but by a socket error rather than an orderly close. */
  closedWithError: number;
  /** Still open at the deadline, destroyed by us. */
  destroyed: number;
}

// The drain's waits are unref'd: a timer of the drain must never be what keeps the process alive.
const UNREF = { ref: false } as const;

export class SocketTracker {
  private readonly sockets = new Set<TrackedSocket>();
  private opened = 0;

  /** A new TCP connection, tracked. mysql2 skips keep-alive and no-delay for custom streams, so they are set here. */
  open(host: string, port: number): Socket {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    const tracked: TrackedSocket = { socket, isClosed: false, closedWithError: false, closed: Promise.resolve() };
    tracked.closed = new Promise<void>((resolve) => socket.once('close', (hadError: boolean) => {
      tracked.isClosed = true;
      tracked.closedWithError = hadError;
      this.sockets.delete(tracked);
      resolve();
    }));
    this.sockets.add(tracked);
    this.opened++;
    return socket;
  }

  get openCount(): number {
    return this.sockets.size;
  }

  get openedCount(): number {
    return this.opened;
  }

  /**
   * Waits until every socket open now has closed, or until `deadline` (a
   * `clock()` instant); destroys those still open then, and waits at most
   * `graceMs` more for them to close (local: near-instant).
   */
  async closeBy(deadline: number, clock: () => number, graceMs: number): Promise<CloseOutcome> {
    const sockets = [...this.sockets];
    const allClosed = Promise.all(sockets.map((tracked) => tracked.closed));
    // Clamped: a deadline already past gives a negative delay, which Node warns about.
    await Promise.race([allClosed, delay(Math.max(0, deadline - clock()), undefined, UNREF)]);
    const stillOpen = sockets.filter((tracked) => !tracked.isClosed);
    const withError = sockets.filter((tracked) => tracked.isClosed && tracked.closedWithError).length;
    for (const tracked of stillOpen) tracked.socket.destroy();
    await Promise.race([allClosed, delay(graceMs, undefined, UNREF)]);
    return { closedCleanly: sockets.length - stillOpen.length - withError, closedWithError: withError, destroyed: stillOpen.length };
  }
}
