// Freeze is real: between invokes every process of the environment is
// SIGSTOPped, so its timers do not fire, and SIGCONT brings it back with its
// pending long polls intact.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { processState, useLifecycle } from './support/lifecycle';

const lifecycle = useLifecycle();

describe('Freeze', () => {
  it('does not fire a timer the runtime armed before the freeze until the next invoke thaws it', async () => {
    const sandbox = lifecycle.sandbox().writeHandler().writeExtension('ext');
    const env = await lifecycle.start(sandbox);
    // The timer must not fire between the handler's return and the freeze: a
    // margin of 1 s for that moment, however slow the machine; the idle then
    // outlasts the timer, so only the freeze can have held it back.
    await env.invoke({ action: 'arm', ms: 1_000 });
    await env.idle(1_500);
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
    // The handler holds the invoke at a barrier until the test has looked: the
    // processes are read while the invoke provably runs, not after a guess.
    const barrier = path.join(sandbox.root, 'barrier-thawed');
    const during = env.invoke({ action: 'barrier', name: 'thawed', count: 2 });
    const arrived = () => fs.existsSync(barrier) && fs.readFileSync(barrier, 'utf8').trim() !== '';
    const deadline = Date.now() + 10_000;
    for (let i = 0; i < 1_000 && !arrived() && Date.now() < deadline; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pids.map(processState)).not.toContain('T');
    fs.appendFileSync(barrier, 'test\n');
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
