// Several long-lived clients, one shutdown budget. Lambda gives the runtime
// 300 ms after SIGTERM (500 ms with internal extensions only) for every client
// the function holds, and their own defaults do not fit it (an exporter's
// 30 s timeout, a flag client whose close() drops unsent events unless
// flush() ran first, a Redis QUIT that waits for a reply). A resource
// registers a name, a phase and a cap; on SIGTERM every `flush` resource runs
// at once, then every `close` resource, each cut (destroyed) when it overruns
// its cap or the budget, and the drain ends with one report of what each did.
import { describeError, ErrorCode, HandlerError } from './errors';
import type { Logger } from './logger';
import {
  DRAIN_PHASES, ResourceOutcome,
  type CutBy, type DrainDetail, type DrainPhase, type DrainRegistryReport, type ResourceReport,
} from '../protocol/drain-report';

export { DrainPhase, ResourceOutcome, mergeReports } from '../protocol/drain-report';
export type { DrainDetail, DrainRegistryReport, MergedDrainReport, ResourceReport } from '../protocol/drain-report';

/** What a graceful action is told: when it will be cut, and a signal that fires when it is. */
export interface DrainContext {
  /** The instant (on the registry's clock) the resource is cut: the earlier of its cap and the budget's end. */
  readonly deadline: number;
  remainingMs(): number;
  /** Aborted when the resource is cut, so an action that can stop early stops. */
  readonly signal: AbortSignal;
}

export interface GracefulResult {
  /** Facts for the report line (numbers are summed across Managed Instances workers). */
  detail?: DrainDetail;
  /** It met its deadline by cutting part of itself (a pool destroying a socket with a statement in flight): reported `destroyed`. */
  cut?: boolean;
}

export interface CutResult {
  detail?: DrainDetail;
}

export interface DrainResource {
  /** 1-64 characters from `A-Z a-z 0-9 . _ : -`; unique within its phase. */
  name: string;
  phase: DrainPhase;
  /** The most this resource's graceful action may take, in ms; the budget's end cuts it sooner. */
  capMs: number;
  /** The graceful action: flush buffered events, QUIT, close. */
  graceful(context: DrainContext): Promise<GracefulResult | void> | GracefulResult | void;
  /**
   * The cut: release everything at once (destroy sockets, drop buffers).
   * Called at most once, when the action overran or threw. Should be
   * synchronous or nearly: it gets `destroyGraceMs` (20 ms) to settle. It may
   * return `{ detail }`: what the cut found (sockets it destroyed) for the report.
   */
  destroy?(): Promise<CutResult | void> | CutResult | void;
}

/** The registry's time source; tests inject a manual one. */
export interface DrainClock {
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: DrainClock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface DrainRegistryOptions {
  clock?: DrainClock;
  /** How long a destroy() may take to settle before the resource is reported `timed-out`. Default 20 ms. */
  destroyGraceMs?: number;
  /** Given: drain() logs its report as one line. Worker threads leave it out; the coordinator logs for them. */
  logger?: Logger;
}

export interface DrainRegistry {
  /** Adds a resource; returns a function that removes it (a client closed before SIGTERM). Refused once the drain has started. */
  register(resource: DrainResource): () => void;
  readonly draining: boolean;
  /** Drains every registered resource inside `budgetMs`. Runs once: later calls get the first call's report. Never rejects. */
  drain(budgetMs: number): Promise<DrainRegistryReport>;
}

/** A registration the registry refuses: names the bad field. */
export class DrainRegistrationError extends HandlerError {
  override readonly name = 'DrainRegistrationError';
  constructor(readonly field: string, message: string, context: Record<string, unknown> = {}) {
    super(ErrorCode.invalidConfig, `drain resource ${field}: ${message}`, { context: { field, ...context } });
  }
}

/** A registration after SIGTERM: the resource would never be drained, so its owner must close it itself. */
export class DrainStartedError extends HandlerError {
  override readonly name = 'DrainStartedError';
  constructor(resourceName: string) {
    super(ErrorCode.shuttingDown, `drain resource "${resourceName}" refused: the drain has started`, { context: { resource: resourceName } });
  }
}

export const DEFAULT_DESTROY_GRACE_MS = 20;
const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** Far above any Lambda shutdown share (2 s in all): a larger cap is a unit mistake. */
const MAX_CAP_MS = 60_000;

function validate(resource: DrainResource, registered: readonly DrainResource[]): void {
  if (typeof resource !== 'object' || resource === null) throw new DrainRegistrationError('resource', 'must be an object');
  const { name, phase, capMs } = resource;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new DrainRegistrationError('name', `must be 1-64 characters from A-Z a-z 0-9 . _ : -, got ${JSON.stringify(name)}`);
  }
  if (!DRAIN_PHASES.includes(phase)) throw new DrainRegistrationError('phase', `must be one of ${DRAIN_PHASES.join(', ')}, got ${JSON.stringify(phase)}`, { resource: name });
  if (typeof capMs !== 'number' || !Number.isFinite(capMs) || capMs <= 0 || capMs > MAX_CAP_MS) {
    throw new DrainRegistrationError('capMs', `must be a number of ms above 0 and at most ${MAX_CAP_MS}, got ${String(capMs)}`, { resource: name });
  }
  if (typeof resource.graceful !== 'function') throw new DrainRegistrationError('graceful', 'must be a function', { resource: name });
  if (resource.destroy !== undefined && typeof resource.destroy !== 'function') {
    throw new DrainRegistrationError('destroy', 'must be a function when given', { resource: name });
  }
  if (registered.some((other) => other.name === name && other.phase === phase)) {
    throw new DrainRegistrationError('name', `"${name}" is already registered in phase ${phase}`, { resource: name });
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn`, turning a synchronous throw and a rejection alike into a result: a resource's code never breaks the drain. */
function settle<T>(fn: () => Promise<T> | T): Promise<Settled<T>> {
  try {
    return Promise.resolve(fn()).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
  } catch (error) {
    return Promise.resolve({ ok: false as const, error });
  }
}

function errorDetail(error: unknown): DrainDetail {
  const described = describeError(error);
  const detail: Record<string, string> = {};
  for (const key of ['errorType', 'errorMessage', 'code', 'error'] as const) {
    if (typeof described[key] === 'string') detail[key] = described[key];
  }
  return detail;
}

export function createDrainRegistry(options: DrainRegistryOptions = {}): DrainRegistry {
  const clock = options.clock ?? systemClock;
  const destroyGraceMs = options.destroyGraceMs ?? DEFAULT_DESTROY_GRACE_MS;
  const resources: DrainResource[] = [];
  let running: Promise<DrainRegistryReport> | undefined;

  /** Races `promise` against `ms` on the registry's clock: undefined when the time ran out. */
  const within = async <T>(promise: Promise<T>, ms: number): Promise<T | undefined> => {
    let cancel: () => void = () => undefined;
    const expired = new Promise<undefined>((resolve) => { cancel = clock.after(Math.max(0, ms), () => resolve(undefined)); });
    try {
      return await Promise.race([promise, expired]);
    } finally {
      cancel();
    }
  };

  /** The cut: whether it released the resource, and what it reports (why not, or what the cut found). */
  const cut = async (resource: DrainResource): Promise<{ failed: boolean; detail?: DrainDetail }> => {
    const destroy = resource.destroy;
    if (!destroy) return { failed: true, detail: { cutFailed: 'no destroy()' } };
    const result = await within(settle(destroy), destroyGraceMs);
    if (result === undefined) return { failed: true, detail: { cutFailed: `destroy() did not settle within ${destroyGraceMs} ms` } };
    if (!result.ok) return { failed: true, detail: { cutFailed: 'destroy() threw', ...errorDetail(result.error) } };
    return { failed: false, ...(result.value?.detail ? { detail: result.value.detail } : {}) };
  };

  const drainOne = async (resource: DrainResource, budgetEnd: number): Promise<ResourceReport> => {
    const startedAt = clock.now();
    const capEnd = startedAt + resource.capMs;
    const deadline = Math.min(capEnd, budgetEnd);
    const cutBy: CutBy = capEnd <= budgetEnd ? 'cap' : 'budget';
    const line = (outcome: ResourceOutcome, extra: { cutBy?: CutBy; detail?: DrainDetail | undefined }): ResourceReport => ({
      name: resource.name, phase: resource.phase, outcome, ms: clock.now() - startedAt, capMs: resource.capMs,
      ...(extra.cutBy ? { cutBy: extra.cutBy } : {}),
      ...(extra.detail && Object.keys(extra.detail).length > 0 ? { detail: extra.detail } : {}),
    });

    if (deadline <= startedAt) {
      // The flush phase used the whole budget: no time to start, only to cut.
      const cutting = await cut(resource);
      return line(cutting.failed ? ResourceOutcome.timedOut : ResourceOutcome.destroyed, { cutBy: 'budget', detail: { started: false, ...cutting.detail } });
    }
    const controller = new AbortController();
    const context: DrainContext = { deadline, remainingMs: () => Math.max(0, deadline - clock.now()), signal: controller.signal };
    const result = await within(settle(() => resource.graceful(context)), deadline - startedAt);
    if (result === undefined) {
      controller.abort();
      const cutting = await cut(resource);
      return line(cutting.failed ? ResourceOutcome.timedOut : ResourceOutcome.destroyed, { cutBy, detail: cutting.detail });
    }
    if (!result.ok) {
      // A failed close may leave its socket open: release it now rather than leave it to SIGKILL.
      const cutting = await cut(resource);
      return line(ResourceOutcome.failed, { detail: { ...errorDetail(result.error), ...cutting.detail } });
    }
    const value = result.value ?? {};
    return line(value.cut ? ResourceOutcome.destroyed : ResourceOutcome.clean, { detail: value.detail });
  };

  const run = async (budgetMs: number): Promise<DrainRegistryReport> => {
    const startedAt = clock.now();
    const budgetEnd = startedAt + Math.max(0, budgetMs);
    const lines: ResourceReport[] = [];
    for (const phase of DRAIN_PHASES) {
      const members = resources.filter((resource) => resource.phase === phase);
      lines.push(...(await Promise.all(members.map((resource) => drainOne(resource, budgetEnd)))));
    }
    const report: DrainRegistryReport = {
      budgetMs, durationMs: clock.now() - startedAt,
      clean: lines.every((resource) => resource.outcome === ResourceOutcome.clean), resources: lines,
    };
    if (options.logger) {
      if (report.clean) options.logger.info('drained every resource on SIGTERM', { ...report });
      else options.logger.warn('drained the resources on SIGTERM; some were cut or failed', { ...report });
    }
    return report;
  };

  return {
    register(resource) {
      if (running) throw new DrainStartedError(typeof resource?.name === 'string' ? resource.name : '?');
      validate(resource, resources);
      // A copy, methods bound: a class instance's methods live on its prototype,
      // and a caller mutating its object later must not change what the drain runs.
      const entry: DrainResource = {
        name: resource.name, phase: resource.phase, capMs: resource.capMs, graceful: resource.graceful.bind(resource),
        ...(resource.destroy ? { destroy: resource.destroy.bind(resource) } : {}),
      };
      resources.push(entry);
      return () => {
        if (running) return;
        const index = resources.indexOf(entry);
        if (index >= 0) resources.splice(index, 1);
      };
    },
    get draining() { return running !== undefined; },
    drain(budgetMs) {
      running ??= run(budgetMs);
      return running;
    },
  };
}

/**
 * The environment's registry (one per worker thread on Managed Instances,
 * each thread having its own module instance): a team's module registers its
 * clients here at Init; the SIGTERM listener (or, in a worker, the drain
 * request) drains it.
 */
export const environmentDrain: DrainRegistry = createDrainRegistry();
