// An environment's network: one relay per upstream, named in the function's
// environment in place of the server, and the path's behaviour by model.
// Frozen with the environment (no byte and no FIN moves either way); after a
// freeze longer than the path's idle timeout, or on demand, a connection's
// state is lost on the path; when the environment goes, its connections go
// with it (model `destroyed`) or the local kernel's close is relayed
// (`local-kernel`); faults strike on demand. Model `direct` has no relay.
import type { Clock } from './clock';
import { NetworkError } from './errors';
import type { ResolvedNetwork } from './network-options';
import {
  NetworkModel, type EnvironmentNetwork, type FaultMoment, type FaultOptions, type NetworkCounts, type NetworkReport,
} from './network-types';
import { Relay } from './relay';
import type { FaultKind, RelayConnection } from './relay-connection';

const ALL = 'all';

/**
 * `turns` turns of the event loop, each with a poll phase: two are enough for
 * a FIN or data the kernel already holds to be read; four for it to be read
 * and passed on (a relayed FIN goes out one turn after it is read).
 */
async function eventLoopTurns(turns: number): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

function zeroCounts(): NetworkCounts {
  return {
    opened: 0, closedByFunction: 0, closedByServer: 0, reset: 0, heldAtDestroy: 0, blackholed: 0, stateLost: 0,
    resetOnWrite: 0, faultReset: 0, heldEndedByServer: 0, released: 0, heldNow: 0,
  };
}

export class Network implements EnvironmentNetwork {
  private readonly relays: Relay[];
  private readonly counts = zeroCounts();
  private frozen = false;
  private readonly atShutdown: { kind: FaultKind; upstream: string }[] = [];

  constructor(private readonly options: ResolvedNetwork, private readonly clock: Clock) {
    const context = { frozen: () => this.frozen, now: () => this.clock.now(), counts: this.counts };
    this.relays = options.model === NetworkModel.direct ? [] : options.upstreams.map((upstream) => new Relay(upstream, context));
  }

  get model(): NetworkModel {
    return this.options.model;
  }

  async start(): Promise<void> {
    await Promise.all(this.relays.map((relay) => relay.listen()));
  }

  /** The function's variables with every relayed upstream's host and port replaced by its relay's. */
  functionEnv(env: Record<string, string>): Record<string, string> {
    const named = { ...env };
    for (const relay of this.relays) {
      named[relay.upstream.hostVariable] = '127.0.0.1';
      named[relay.upstream.portVariable] = String(relay.listeningPort);
    }
    return named;
  }

  /** Called as the environment's processes are stopped. */
  freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    for (const connection of this.connections()) connection.freeze();
  }

  /**
   * Connections idle past the path's timeout lost their state while frozen;
   * the rest carry on, in order. Resolves once what waited (bytes, a FIN) has
   * been passed on: the caller resumes the processes after that, so the
   * function finds in its kernel what the server sent while it was frozen.
   */
  async thaw(): Promise<void> {
    if (!this.frozen) return;
    this.frozen = false;
    const now = this.clock.now();
    const connections = this.connections();
    for (const connection of connections) {
      if (connection.idleMs(now) > this.options.pathIdleTimeoutMs && connection.loseState()) this.counts.stateLost += 1;
      connection.thaw();
    }
    if (connections.length > 0) await eventLoopTurns(4);
  }

  /** A shutdown sequence starts: faults armed for that moment strike now, before SIGTERM. */
  shutdownStarting(): void {
    for (const fault of this.atShutdown.splice(0)) this.strike(fault.kind, fault.upstream);
  }

  /**
   * The environment goes (a SIGKILL is about to be sent, or the sequence is
   * over). What the function had already closed itself is relayed first; with
   * model `destroyed` every other connection is then held: the server keeps
   * its session until its own timeout. With `local-kernel` nothing changes:
   * the kernel's close of the killed process's sockets is relayed.
   */
  async environmentGoing(): Promise<void> {
    if (this.options.model !== NetworkModel.destroyed) return;
    await eventLoopTurns(2);
    for (const connection of this.connections()) {
      if (connection.pathState !== 'open' || connection.closedByFunction) continue;
      if (connection.hold()) this.counts.heldAtDestroy += 1;
    }
  }

  blackhole(upstream: string = ALL, options: FaultOptions = {}): void {
    this.fault('blackhole', upstream, options);
  }

  reset(upstream: string = ALL, options: FaultOptions = {}): void {
    this.fault('reset', upstream, options);
  }

  loseState(upstream: string = ALL): void {
    for (const connection of this.connectionsOf(upstream)) {
      if (connection.loseState()) this.counts.stateLost += 1;
    }
  }

  held(): number {
    return this.counts.heldNow;
  }

  async release(upstream: string = ALL): Promise<number> {
    const held = (this.options.model === NetworkModel.direct ? [] : this.connectionsOf(upstream)).filter((connection) => connection.holdsSession);
    const before = this.counts.released;
    await Promise.all(held.map((connection) => connection.release()));
    return this.counts.released - before;
  }

  /** Stops listening: the environment is gone. Held sessions stay until released or ended by the server. */
  close(): void {
    for (const relay of this.relays) relay.close();
  }

  report(): NetworkReport {
    return {
      model: this.options.model,
      pathIdleTimeoutMs: this.options.pathIdleTimeoutMs,
      upstreams: this.options.upstreams.map((upstream) => {
        const relay = this.relays.find((candidate) => candidate.upstream.name === upstream.name);
        const held = relay ? relay.connections.filter((connection) => connection.holdsSession).length : 0;
        return { name: upstream.name, server: `${upstream.host}:${upstream.port}`, ...(relay ? { relay: relay.address } : {}), held };
      }),
      connections: { ...this.counts },
    };
  }

  private connections(): RelayConnection[] {
    return this.relays.flatMap((relay) => relay.connections);
  }

  private connectionsOf(upstream: string): RelayConnection[] {
    if (this.options.model === NetworkModel.direct) {
      throw new NetworkError('the direct network model has no relay: faults need model destroyed or local-kernel', { model: this.options.model });
    }
    if (upstream === ALL) return this.connections();
    const relay = this.relays.find((candidate) => candidate.upstream.name === upstream);
    if (!relay) {
      throw new NetworkError(`no upstream "${upstream}" (this environment's: ${this.relays.map((r) => r.upstream.name).join(', ') || 'none'})`, { upstream });
    }
    return relay.connections;
  }

  private fault(kind: FaultKind, upstream: string, options: FaultOptions): void {
    const when: FaultMoment = options.when ?? 'now';
    const connections = this.connectionsOf(upstream);
    if (when === 'now') this.strike(kind, upstream);
    else if (when === 'shutdown') this.atShutdown.push({ kind, upstream });
    else for (const connection of connections) connection.arm(kind, when, options.match);
  }

  private strike(kind: FaultKind, upstream: string): void {
    for (const connection of this.connectionsOf(upstream)) {
      if (kind === 'reset') {
        if (connection.pathState !== 'closed') this.counts.faultReset += 1;
        connection.reset();
      } else if (connection.hold()) {
        this.counts.blackholed += 1;
      }
    }
  }
}
