// A fleet: several environments of one function against one server, all
// destroyed at the same moment (a deploy, a scale-in). The suite keeps the
// fleet to what two shared cores serve under load; how large a fleet can shut
// down at once without a SIGKILL is a speed question, measured by the bench
// as a ratio to a runtime that exits without touching its pool.
import type { Environment, EnvironmentReport } from '../../src/emulator';
import { ShutdownBudget } from '../../src/protocol/lambda-api';
import {
  POOL_SIZE, ServerWatch, put, sessionsSince, shutdownFacts, sleepOn, useEnvironments, useServer, type ScenarioEnvOptions,
} from './support';

const server = useServer();
const startEnvironment = useEnvironments(server);

const FLEET_SIZE = 6;

/** Started one after another: Inits at once would measure the cores, not the shutdown. */
async function startFleet(options: ScenarioEnvOptions = {}): Promise<Environment[]> {
  const fleet: Environment[] = [];
  for (let i = 0; i < FLEET_SIZE; i += 1) {
    const env = await startEnvironment({ label: `fleet-${i}`, ...options });
    for (const event of [put(`fleet-${i}`, { i }), sleepOn(POOL_SIZE)]) {
      const result = await env.invoke(event);
      if (result.outcome !== 'success') throw new Error(`fleet-${i}: ${result.outcome} ${JSON.stringify(result.payload)}`);
    }
    fleet.push(env);
  }
  return fleet;
}

describe(`${FLEET_SIZE} environments shutting down at once against one server`, () => {
  it('all leave on their own inside their share, none is SIGKILLed, and the server aborts nothing', async () => {
    const watch = await ServerWatch.start(server());
    const fleet = await startFleet();
    expect(await watch.openConnections()).toBe(FLEET_SIZE * POOL_SIZE);

    const reports: EnvironmentReport[] = await Promise.all(fleet.map((env) => env.shutdown()));

    const outliers = reports.map((r) => ({ id: r.id, ...shutdownFacts(r) }))
      .filter((f) => !f.sigtermSent || !f.leftOnItsOwn || f.runtimeBudgetMs !== ShutdownBudget.runtimeWithExternal);
    expect(outliers).toEqual([]);
    await watch.expectClean();
  }, 120_000);

  it('without the extension the same fleet is SIGKILLed and the server holds every pooled session until its timeout aborts it', async () => {
    const watch = await ServerWatch.start(server());
    const fleet = await startFleet({ extensionsDir: null });
    expect(await watch.openConnections()).toBe(FLEET_SIZE * POOL_SIZE);

    const reports = await Promise.all(fleet.map((env) => env.shutdown()));

    expect(reports.map((r) => shutdownFacts(r)).filter((f) => f.sigtermSent || !f.killedByEmulator)).toEqual([]);
    // Every pooled session outlives its environment (the default network model, as on AWS)...
    expect(await sessionsSince(server(), watch.before)).toHaveLength(FLEET_SIZE * POOL_SIZE);
    // ...until the server's idle timeout, fast-forwarded here, ends each as an aborted client.
    expect((await Promise.all(fleet.map((env) => env.network.release()))).reduce((sum, n) => sum + n, 0)).toBe(FLEET_SIZE * POOL_SIZE);
    const delta = await watch.settled({ aborted: FLEET_SIZE * POOL_SIZE });
    expect({ ...delta, abortedConnectionLines: delta.abortedConnectionLines.length })
      .toEqual({ abortedClients: FLEET_SIZE * POOL_SIZE, threadsConnected: 0, abortedConnectionLines: FLEET_SIZE * POOL_SIZE, sessionsStillOpen: [] });
  }, 120_000);
});
