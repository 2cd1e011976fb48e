// Freeze is real: between invokes every process of the environment is
// SIGSTOPped, so its timers do not fire, and SIGCONT brings it back with its
// pending long polls intact.
import { processState, useLifecycle } from './support/lifecycle';

const lifecycle = useLifecycle();

describe('Freeze', () => {
  it('does not fire a timer the runtime armed before the freeze until the next invoke thaws it', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    await env.invoke({ action: 'arm', ms: 100 });
    await env.idle(600);
    expect(sandbox.timerFired()).toBe(false);
    const check = await env.invoke({ action: 'check', waitMs: 50 });
    expect(check.payload).toEqual({ fired: true });
  });

  it('stops every process group while idle and resumes them on invoke', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    await env.invoke({ action: 'ok' });
    const pids = env.report().processes.map((p) => p.pid);
    expect(pids.map(processState)).toEqual(['T', 'T']);
    const during = env.invoke({ action: 'sleep', ms: 300 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pids.map(processState)).not.toContain('T');
    await during;
    expect(pids.map(processState)).toEqual(['T', 'T']);
    const freezes = env.report().phases.filter((p) => p.phase === 'freeze');
    expect(freezes.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps the frozen processes\' pending requests usable across an idle longer than any HTTP keep-alive', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    await env.invoke({ action: 'ok' });
    await env.idle(5_500);
    expect(await env.invoke({ action: 'ok' })).toMatchObject({ outcome: 'success', reinitialized: false });
    const report = await env.shutdown();
    expect(report.processes.every((p) => !p.killedByEmulator)).toBe(true);
  });
});
