// TESTS ONLY: a drain resource whose flush never ends on its own, so the
// scenario suite can show what a client with a far-too-long flush (an
// exporter's 30 s timeout) does to the others: with a cap, it is cut there
// and every other resource still closes inside the budget; with a cap past
// the budget (the baseline: the client's own timeout), the budget's end cuts
// it and the closes are cut without being started. Registered only with
// HANDLER_DEBUG_ACTIONS=true; the variable alone fails Init.
import { FunctionEnv } from '../protocol/function-env';
import { DrainPhase, type DrainResource } from './drain-registry';
import { ConfigError } from './errors';

export const SLOW_FLUSH_RESOURCE_NAME = 'debug-slow-flush';

type Env = Readonly<Record<string, string | undefined>>;

/** The resource HANDLER_DEBUG_SLOW_FLUSH_CAP_MS asks for, or undefined when it is unset. */
export function debugSlowFlushResource(env: Env, debugActions: boolean): DrainResource | undefined {
  const raw = env[FunctionEnv.debugSlowFlushCapMs]?.trim();
  if (!raw) return undefined;
  if (!debugActions) throw new ConfigError(FunctionEnv.debugSlowFlushCapMs, `is for tests only and needs ${FunctionEnv.debugActions}=true`);
  const capMs = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(capMs >= 1 && capMs <= 60_000)) throw new ConfigError(FunctionEnv.debugSlowFlushCapMs, `must be an integer between 1 and 60000, got "${raw}"`);
  return {
    name: SLOW_FLUSH_RESOURCE_NAME,
    phase: DrainPhase.flush,
    capMs,
    // Ends only when the registry cuts it (the signal), as a flush stuck on an unreachable collector would.
    graceful: ({ signal }) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
    // What a real client's cut does: drop what it had not sent.
    destroy: () => ({ detail: { bufferDropped: true } }),
  };
}
