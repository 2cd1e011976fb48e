// A fleet: many environments of one function against one server, all
// destroyed at the same moment (a deploy, a scale-in). Init is staggered
// (50 Inits at once would measure the 2 cores, not the shutdown); the
// shutdown is not.
import type { Environment, EnvironmentReport } from '../../src/emulator';
import { ShutdownBudget } from '../../src/protocol/lambda-api';
import { CLEAN, ServerWatch, put, shutdownFacts, useEnvironments, useServer } from './support';

const server = useServer();
const startEnvironment = useEnvironments(server);

const FLEET_SIZE = 50;
const START_CONCURRENCY = 4;

async function startFleet(size: number): Promise<Environment[]> {
  const fleet: Environment[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < size; i = next++) {
      const env = await startEnvironment({ label: `fleet-${i}` });
      const result = await env.invoke(put(`fleet-${i}`, { i }));
      if (result.outcome !== 'success') throw new Error(`fleet-${i}: ${result.outcome} ${JSON.stringify(result.payload)}`);
      fleet.push(env);
    }
  };
  await Promise.all(Array.from({ length: START_CONCURRENCY }, worker));
  return fleet;
}

describe(`${FLEET_SIZE} environments shutting down at once against one server`, () => {
  it('all leave inside their 300 ms share, none is SIGKILLed, and the server aborts nothing', async () => {
    const watch = await ServerWatch.start(server());
    const fleet = await startFleet(FLEET_SIZE);
    expect(await watch.openConnections()).toBeGreaterThanOrEqual(FLEET_SIZE);

    const reports: EnvironmentReport[] = await Promise.all(fleet.map((env) => env.shutdown()));

    const outliers = reports.map((r) => ({ id: r.id, ...shutdownFacts(r) }))
      .filter((f) => !f.sigtermSent || !f.leftOnItsOwn || f.runtimeBudgetMs !== ShutdownBudget.runtimeWithExternal);
    expect(outliers).toEqual([]);
    expect(await watch.settled()).toEqual(CLEAN);
  }, 120_000);
});
