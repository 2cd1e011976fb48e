// Freeze is real: between invokes every process of the environment is
// SIGSTOPped, so its timers do not fire, and SIGCONT brings it back with its
// pending long polls intact.
import * as fs from 'node:fs';
import * as net from 'node:net';
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

  it('does not read a socket while frozen: data sent meanwhile is read only after the thaw', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const sandbox = lifecycle.sandbox().writeHandler();
      const env = await lifecycle.start(sandbox, { extensionsDir: null });
      await env.invoke({ action: 'connect', port: (server.address() as net.AddressInfo).port });
      for (let i = 0; i < 100 && sockets.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      sockets[0]?.write('sent-while-frozen');
      await env.idle(300);
      expect(fs.existsSync(sandbox.socketFile)).toBe(false);
      expect((await env.invoke({ action: 'received', waitMs: 50 })).payload).toEqual({ data: 'sent-while-frozen' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
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
