// Shared vocabulary of the lifecycle scenarios: a private server per test
// file, environments that are always torn down, "what the server saw" as a
// before/after delta, and "the runtime shut down cleanly" as one assertion.
// Every figure comes from the server's side (SHOW GLOBAL STATUS, error log)
// or from the emulator's report, never from the code under test.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2';
import {
  startEnvironment, type Environment, type EnvironmentOptions, type EnvironmentReport, type InvokeResult, type ProcessReport,
} from '../../src/emulator';
import { ShutdownBudget } from '../../src/protocol/lambda-api';
import { ShutdownMode } from '../../src/protocol/artifacts';
import { FunctionEnv } from '../../src/protocol/function-env';
import { withFunctionUser } from '../../src/testing/function-user';
import { startMysqlServer, type MysqlServer } from '../../src/testing/mysql-server';
import {
  ABORTED_CONNECTION_LINE, readBaseline, readCounters, sessionsSince, waitForIdleServer, waitForServerEnd, type ExpectedEnd,
  type ServerBaseline, type ServerCounters,
} from '../../src/testing/server-counters';

export { ABORTED_CONNECTION_LINE, readCounters, sessionsSince, type ServerCounters };

/** What changed on the server between `ServerWatch.start()` and the end the test stated. */
export interface ServerDelta {
  abortedClients: number;
  /** Threads_connected now minus before: 0 means every connection the environment opened is closed. */
  threadsConnected: number;
  /** The new "Aborted connection" lines of the error log. */
  abortedConnectionLines: string[];
  /** Sessions opened since the watch started that the server still lists (ids): the wait ran out with them open. */
  sessionsStillOpen: number[];
}

/**
 * Counters before, counters after. A test states the end it expects
 * (`settled({ aborted: N })`, `expectClean()`), and the watch waits, bounded,
 * for that STATE: every session opened since `start()` gone from the server's
 * process list (which proves its abort, if any, is already counted and
 * logged), Threads_connected back, N aborts seen. Never for a quiet spell.
 */
export class ServerWatch {
  private constructor(private readonly server: MysqlServer, readonly before: ServerBaseline) {}

  static async start(server: MysqlServer): Promise<ServerWatch> {
    return new ServerWatch(server, await readBaseline(server));
  }

  /** Connections opened since the watch started and still open (the environment may be frozen). */
  async openConnections(): Promise<number> {
    return (await this.server.status()).threadsConnected - this.before.threadsConnected;
  }

  /**
   * Waits until the server's side of everything opened since `start()` has
   * ended with at least `expected.aborted` aborts, then returns the delta;
   * on a wait that runs out, the delta shows what was still missing.
   */
  async settled(expected: ExpectedEnd): Promise<ServerDelta> {
    const after = await waitForServerEnd(this.server, this.before, expected);
    const lines = this.server.errorLogLines(ABORTED_CONNECTION_LINE);
    return {
      abortedClients: after.abortedClients - this.before.abortedClients,
      threadsConnected: after.threadsConnected - this.before.threadsConnected,
      abortedConnectionLines: lines.slice(this.before.abortedConnectionLines),
      sessionsStillOpen: after.sessionsStillOpen,
    };
  }

  /** The shutdown was clean on the server's side: see CLEAN. */
  async expectClean(): Promise<void> {
    expect(await this.settled({ aborted: 0 })).toEqual(CLEAN);
  }
}

/**
 * Waits (bounded in polls and time) until some session runs a statement
 * matching `pattern` (SQL LIKE; a statement without % or _ matches only
 * itself; the polling session, whose own text holds the pattern, never
 * counts), and returns the ids of those that do; fails naming the pattern if
 * none ever does.
 */
export async function sessionsRunning(server: MysqlServer, pattern: string, timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (let poll = 0; poll < timeoutMs / 10 && Date.now() < deadline; poll += 1) {
    const rows = await server.query<RowDataPacket[]>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [pattern]);
    if (rows.length > 0) return rows.map((row) => Number(row.id));
    await sleep(10);
  }
  throw new Error(`no session ran a statement like \`${pattern}\` within ${timeoutMs} ms`);
}

/**
 * Ends at once a statement whose client is gone, rather than waiting it out.
 * The server then finds the client gone exactly as when the statement ends on
 * its own: measured on MariaDB 10.11, KILL QUERY on such a session counts one
 * aborted client and logs one "Aborted connection" line, as a SLEEP that runs
 * out does (a plain KILL would count it but log nothing).
 */
export async function endOrphanedStatement(server: MysqlServer, sessionId: number): Promise<void> {
  await server.query(`KILL QUERY ${Math.trunc(sessionId)}`);
}

/** Nothing aborted, nothing left open, no "Aborted connection" line: what a clean shutdown means. */
export const CLEAN: ServerDelta = { abortedClients: 0, threadsConnected: 0, abortedConnectionLines: [], sessionsStillOpen: [] };

export function runtimesOf(report: EnvironmentReport): ProcessReport[] {
  return report.processes.filter((p) => p.kind === 'runtime');
}

/** The runtime that was alive at shutdown: the last one started. */
export function finalRuntime(report: EnvironmentReport): ProcessReport {
  const runtimes = runtimesOf(report);
  const runtime = runtimes[runtimes.length - 1];
  if (!runtime) throw new Error(`environment ${report.id} never started a runtime`);
  return runtime;
}

/**
 * The facts of a runtime's end, in one object so a failing test prints all of
 * them. "Inside its budget" is judged the way Lambda judges it: was the process
 * still running when the emulator's SIGKILL deadline came (the emulator checks
 * /proc at that moment, so a process that has exited but is not yet reaped
 * counts as gone)? The ms figure is kept for the failure message only: it is
 * stamped when the test process's event loop sees the exit, which lags under
 * load, and timings belong to `npm run bench`, not to assertions.
 */
export function shutdownFacts(report: EnvironmentReport) {
  const runtime = finalRuntime(report);
  return {
    sigtermSent: report.sigtermToRuntimeExitMs !== undefined,
    runtimeBudgetMs: report.runtimeBudgetMs,
    killedByEmulator: runtime.killedByEmulator,
    /** Ended by the SIGTERM it re-raised after draining, or by exit code 0. */
    leftOnItsOwn: !runtime.killedByEmulator && (runtime.signal === 'SIGTERM' || runtime.exitCode === 0),
    sigtermToExitMs: report.sigtermToRuntimeExitMs,
  };
}

/**
 * The runtime heard SIGTERM and was gone before its share ran out (300 ms, or
 * 500 ms with internal extensions only): the emulator never had to SIGKILL it.
 */
export function expectRuntimeExitedWithinBudget(report: EnvironmentReport, budgetMs: number = ShutdownBudget.runtimeWithExternal): void {
  const facts = shutdownFacts(report);
  const context = `runtime output:\n${finalRuntime(report).output.slice(-2_000)}`;
  expect({ ...facts, context }).toEqual({
    sigtermSent: true,
    runtimeBudgetMs: budgetMs,
    killedByEmulator: false,
    leftOnItsOwn: true,
    sigtermToExitMs: expect.any(Number) as unknown,
    context,
  });
}

/** Every external extension got SHUTDOWN and left on its own. */
export function expectExtensionsLeftOnTheirOwn(report: EnvironmentReport): void {
  const extensions = report.processes.filter((p) => p.kind === 'extension');
  for (const extension of extensions) {
    expect({ name: extension.name, killedByEmulator: extension.killedByEmulator, exitCode: extension.exitCode })
      .toEqual({ name: extension.name, killedByEmulator: false, exitCode: 0 });
  }
}

/** One private server for the whole test file (its counters belong to the test alone). */
export function useServer(): () => MysqlServer {
  let server: MysqlServer | undefined;
  beforeAll(async () => {
    // The handler connects as the user db:bootstrap makes (SELECT, INSERT, UPDATE on its table), as on AWS.
    server = await withFunctionUser(await startMysqlServer({ privateOnly: true }));
    // The bootstrap's own session may still be closing: no test's baseline may count it.
    if (!(await waitForIdleServer(server))) throw new Error('the scenario server still lists a setup session after 30 s');
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  return () => {
    if (!server) throw new Error('the scenario server did not start (see the beforeAll error above)');
    return server;
  };
}

export interface ScenarioEnvOptions extends Omit<EnvironmentOptions, 'env'> {
  env?: Record<string, string>;
  mode?: ShutdownMode;
}

/**
 * Environments started by a test file; `afterEach` shuts down whatever a failed
 * test left behind, so no runtime outlives its test (nor stays SIGSTOPped),
 * releases every session the server still holds for them, and waits (bounded)
 * until the server has ended every session the test opened, so none is
 * counted in the next test.
 */
export function useEnvironments(server: () => MysqlServer) {
  const started: Environment[] = [];
  let baseline: ServerBaseline | undefined;
  beforeEach(async () => {
    baseline = await readBaseline(server());
  });
  afterEach(async () => {
    const envs = started.splice(0);
    await Promise.allSettled(envs.filter((env) => env.state !== 'shutdown').map((env) => env.shutdown()));
    await Promise.allSettled(envs.map((env) => env.network.release()));
    // The next test's baseline must not hold a session of this one that is
    // still closing (a statement left running, a connection released just now).
    if (baseline) await waitForServerEnd(server(), baseline, { aborted: 0 });
  }, 60_000);

  return async function start(options: ScenarioEnvOptions = {}): Promise<Environment> {
    const { env, mode, ...rest } = options;
    const environment = await startEnvironment({
      label: expect.getState().currentTestName ?? 'scenario',
      ...rest,
      env: {
        ...server().handlerEnv(),
        [FunctionEnv.shutdownMode]: mode ?? ShutdownMode.layer,
        HANDLER_DEBUG_ACTIONS: 'true',
        ...env,
      },
    });
    started.push(environment);
    return environment;
  };
}

/**
 * An invoke's result as a test compares it, plus the runtime's last log lines
 * when it was not served (`ok: true`), so a failure explains itself.
 */
export function served(env: Environment, result: InvokeResult) {
  const ok = result.outcome === 'success' && (result.payload as { ok?: unknown } | null)?.ok === true;
  const runtimeLog = ok ? undefined : finalRuntime(env.report()).output.trim().split('\n').slice(-12).join('\n');
  return { outcome: result.outcome, reinitialized: result.reinitialized, payload: result.payload, runtimeLog };
}

/** Runs `count` invokes one after another and returns the outcomes that were not `success`. */
export async function invokeTimes(env: Environment, count: number, event: (i: number) => unknown): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const result = await env.invoke(event(i));
    if (result.outcome !== 'success') failures.push(`#${i}: ${result.outcome} ${JSON.stringify(result.payload)}`);
  }
  return failures;
}

export const put = (id: string, data: unknown) => ({ action: 'put', id, data });
/** The handler's guarded debug action: `parallel` statements at once, so the pool opens that many connections. */
export const sleepOn = (connections: number, seconds = 0) => ({ action: 'debug-sleep', seconds, parallel: connections });
/**
 * For the scenarios whose drain must wait for its deadline (a statement in
 * flight, an unreachable server): a budget far below the runtime's 300 ms
 * share, so a busy machine's late timers cannot turn "ended at its deadline"
 * into a SIGKILL. The claim is the same at any budget below the share.
 */
export const DEADLINE_BOUND_ENV = { [FunctionEnv.shutdownBudgetMs]: '50' };

/** The pool's size by default (DB_POOL_SIZE): two connections, both left idle. */
export const POOL_SIZE = 2;
export const get = (id: string) => ({ action: 'get', id });
