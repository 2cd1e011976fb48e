// The public contract of an environment's network: the models, the options
// that choose one, the faults a test can inject and what the report says.

/**
 * What happens to the function's connections, by name.
 * - `destroyed` (the default): when the environment goes (a SIGKILL at
 *   spindown, a reset, a failed Init) its network goes with it: nothing more
 *   reaches the server, which keeps every session the function had not closed
 *   until its own idle timeout.
 * - `local-kernel`: the emulator's earlier behaviour, kept for comparison: the
 *   local kernel closes a killed process's sockets at once and the server sees
 *   that close (a FIN, or a reset when unread data was pending).
 * - `direct`: no relay at all; the function connects to the server itself
 *   (the baseline for the relay's own overhead). No freeze of the path, no
 *   faults.
 * `destroyed` and `local-kernel` differ only at the environment's end: both
 * freeze the path with the environment and lose its state after a long freeze.
 */
export const NetworkModel = { destroyed: 'destroyed', localKernel: 'local-kernel', direct: 'direct' } as const;
export type NetworkModel = (typeof NetworkModel)[keyof typeof NetworkModel];
export const NETWORK_MODELS: readonly NetworkModel[] = Object.values(NetworkModel);

/**
 * NAT gateways and Network Load Balancers forget an idle TCP flow after 350 s;
 * a frozen environment sends nothing, not even keep-alive probes.
 */
export const DEFAULT_PATH_IDLE_TIMEOUT_MS = 350_000;

export interface UpstreamOption {
  host: string;
  port: number;
  /** The function's variable naming the host; known upstreams (`db`) have theirs. */
  hostVariable?: string;
  /** The function's variable naming the port. */
  portVariable?: string;
}

export interface NetworkOptions {
  /** Default `destroyed`. */
  model?: NetworkModel;
  /**
   * The servers the function connects to, by name. Default: every known
   * upstream whose host variable the function's environment sets (`db`:
   * DB_HOST/DB_PORT). The relay's address replaces those variables.
   */
  upstreams?: Record<string, UpstreamOption>;
  /** A connection idle longer than this while the environment is frozen loses its state on the path. Default 350 000. */
  pathIdleTimeoutMs?: number;
}

/**
 * When a fault strikes a connection open now:
 * - `now`: at once;
 * - `next-send`: when the function next sends bytes on it; those bytes are lost
 *   with the path (a checkout's ping, a statement);
 * - `after-next-send`: the function's next bytes reach the server, then the
 *   path fails: the answer never comes back (a statement in flight);
 * - `shutdown`: when the environment's next shutdown sequence starts, before
 *   the runtime hears SIGTERM.
 */
export type FaultMoment = 'now' | 'next-send' | 'after-next-send' | 'shutdown';

export interface FaultOptions {
  /** Default `now`. */
  when?: FaultMoment;
  /** With `next-send`/`after-next-send`: only a send whose bytes match strikes (e.g. a statement, not a ping). */
  match?: (bytes: Buffer) => boolean;
}

/** Connections through the network, counted by how they ended (or did not). */
export interface NetworkCounts {
  opened: number;
  /** Its FIN came first from the function's side (relayed): the function closed it, or, with `local-kernel`, the kernel of a killed process did. */
  closedByFunction: number;
  /** The server closed it first (its FIN, relayed). */
  closedByServer: number;
  /** A reset from either end, relayed. */
  reset: number;
  /** Open when the environment went (model `destroyed`): left to the server's timeout. */
  heldAtDestroy: number;
  /** Blackholed by a fault: nothing answers, nothing closes. */
  blackholed: number;
  /** Lost their state on the path (a long freeze, or on demand): the server's side closed. */
  stateLost: number;
  /** Reset when the function wrote on a connection whose state the path had lost. */
  resetOnWrite: number;
  /** Reset by a fault. */
  faultReset: number;
  /** Held sessions the server ended itself (its idle timeout). */
  heldEndedByServer: number;
  /** Held sessions ended by `release()`. */
  released: number;
  /** Sessions the server still holds now for connections nothing will ever use again. */
  heldNow: number;
}

export interface NetworkReport {
  model: NetworkModel;
  pathIdleTimeoutMs: number;
  /** `relay` is undefined with the `direct` model; `held`: sessions that upstream's server holds now for connections nothing will use again. */
  upstreams: { name: string; server: string; relay?: string; held: number }[];
  connections: NetworkCounts;
}

/** `env.network`: what the environment's network did, and the faults a test injects. */
export interface EnvironmentNetwork {
  readonly model: NetworkModel;
  /** Nothing answers and nothing closes on the upstream's open connections (`all`: every upstream). */
  blackhole(upstream?: string, options?: FaultOptions): void;
  /** The upstream's open connections are reset (RST both ways). */
  reset(upstream?: string, options?: FaultOptions): void;
  /** The path forgets the upstream's open connections: the server's side is closed, the function's next write is reset. */
  loseState(upstream?: string): void;
  /** Sessions the server holds for connections nothing will use again (destroyed or blackholed). */
  held(): number;
  /**
   * Ends every held session (of one upstream, or `all`) as the server's own
   * idle timeout would (the server counts an aborted client), without
   * waiting for that timeout. Resolves with how many, once each is closed (bounded).
   */
  release(upstream?: string): Promise<number>;
  report(): NetworkReport;
}
