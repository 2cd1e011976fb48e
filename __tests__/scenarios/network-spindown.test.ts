// What the server holds after environments are gone, read on the server's
// side through the emulator's default network model (`destroyed`): without
// the extension every pooled session outlives its environment until the
// server's own timeout ends it as an aborted client; with the extension none
// does. The `local-kernel` model (a killed process's close reaching the
// server at once) is the baseline that cannot show it.
import type { Environment, EnvironmentReport } from '../../src/emulator';
import { NetworkModel } from '../../src/emulator';
import { ABORTED_CONNECTION_LINE, put, useEnvironments, useServer, type ScenarioEnvOptions } from './support';
import { readBaseline, sessionsListed, waitForServerEnd } from './network-support';

const server = useServer();
const startEnvironment = useEnvironments(server);

/** Environments, one after another: each opens one pooled connection (a put) and is spun down at once. */
const ENVIRONMENTS = 3;

async function spunDown(label: string, options: ScenarioEnvOptions): Promise<{ envs: Environment[]; reports: EnvironmentReport[] }> {
  const envs: Environment[] = [];
  const reports: EnvironmentReport[] = [];
  for (let i = 0; i < ENVIRONMENTS; i += 1) {
    const env = await startEnvironment({ label: `${label}-${i}`, ...options });
    const result = await env.invoke(put(`${label}-${i}`, { i }));
    if (result.outcome !== 'success') throw new Error(`${label}-${i}: ${result.outcome} ${JSON.stringify(result.payload)}`);
    envs.push(env);
    reports.push(await env.shutdown());
  }
  return { envs, reports };
}

const held = (reports: EnvironmentReport[]) => reports.reduce((sum, report) => sum + report.network.connections.heldAtDestroy, 0);

describe(`${ENVIRONMENTS} environments spun down, read on the server`, () => {
  it('without the extension: every pooled session is still held by the server after its environment is gone', async () => {
    const baseline = await readBaseline(server());
    const { envs, reports } = await spunDown('held', { extensionsDir: null });

    const listed = await sessionsListed(server(), baseline, ENVIRONMENTS);
    const status = await server().status();
    expect({
      models: reports.map((report) => report.network.model),
      sessionsHeld: listed.length,
      threadsConnected: status.threadsConnected - baseline.threadsConnected,
      abortedYet: status.abortedClients - baseline.abortedClients,
      heldByTheNetwork: held(reports),
    }).toEqual({
      models: reports.map(() => NetworkModel.destroyed),
      sessionsHeld: ENVIRONMENTS, threadsConnected: ENVIRONMENTS, abortedYet: 0, heldByTheNetwork: ENVIRONMENTS,
    });

    // Fast-forward the server's timeout: each held session then ends as an aborted client.
    const released = await Promise.all(envs.map((env) => env.network.release()));
    expect(released).toEqual(envs.map(() => 1));
    expect(await waitForServerEnd(server(), baseline, { aborted: ENVIRONMENTS })).toMatchObject({ reached: true });
  }, 120_000);

  it('with the extension: none is held and none aborted', async () => {
    const baseline = await readBaseline(server());
    const { reports } = await spunDown('drained', {});

    const end = await waitForServerEnd(server(), baseline, { aborted: 0 });
    expect({ reached: end.reached, aborted: end.abortedClients - baseline.abortedClients, held: held(reports), still: end.sessionsStillOpen })
      .toEqual({ reached: true, aborted: 0, held: 0, still: [] });
  }, 120_000);
});

describe('a held session ends only by the server\'s own timeout', () => {
  // Long enough that no session times out before its environment is gone, even on a loaded machine.
  const WAIT_TIMEOUT_S = 8;
  afterEach(async () => {
    await server().setGlobal('wait_timeout', 28_800);
  });

  /** Ends the sessions opened since `baseline` and returns their "Aborted connection" lines. */
  async function endsOf(label: string, options: ScenarioEnvOptions): Promise<{ reached: boolean; aborted: number; lines: string[] }> {
    // Sessions copy wait_timeout when they connect: set before any environment exists.
    await server().setGlobal('wait_timeout', WAIT_TIMEOUT_S);
    const baseline = await readBaseline(server());
    await spunDown(label, options);
    const end = await waitForServerEnd(server(), baseline, { aborted: ENVIRONMENTS });
    const lines = server().errorLogLines(ABORTED_CONNECTION_LINE).slice(baseline.abortedConnectionLines);
    return { reached: end.reached, aborted: end.abortedClients - baseline.abortedClients, lines };
  }

  it(`without the extension: the server keeps each session until its wait_timeout (${WAIT_TIMEOUT_S} s here), then counts an aborted client`, async () => {
    const ends = await endsOf('timeout', { extensionsDir: null });
    expect({ reached: ends.reached, aborted: ends.aborted, lines: ends.lines.length }).toEqual({ reached: true, aborted: ENVIRONMENTS, lines: ENVIRONMENTS });
    expect(ends.lines.filter((line) => !/timeout/i.test(line))).toEqual([]);
  }, 120_000);

  it('baseline, model local-kernel: the killed process\'s close ends each session at once, as a read error, not a timeout', async () => {
    const ends = await endsOf('kernel', { extensionsDir: null, network: NetworkModel.localKernel });
    expect({ reached: ends.reached, aborted: ends.aborted, lines: ends.lines.length }).toEqual({ reached: true, aborted: ENVIRONMENTS, lines: ENVIRONMENTS });
    expect(ends.lines.filter((line) => /timeout/i.test(line))).toEqual([]);
  }, 120_000);
});
