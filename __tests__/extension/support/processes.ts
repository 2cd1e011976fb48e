// Spawning the built extension (or any script) with a bounded wait for its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface Spawned {
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves when the process exits; rejects (and SIGKILLs it) after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<Exit>;
  /** Rejects, with the process's output, if it exits before `pending` settles. */
  unlessExited<T>(pending: Promise<T>, what: string): Promise<T>;
}

export function requireBuilt(file: string): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (npm test does)`);
}

export function spawnWithOutput(command: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exit = new Promise<Omit<Exit, 'output'>>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => output,
    unlessExited: (pending, what) => new Promise((resolve, reject) => {
      pending.then(resolve, reject);
      // Rejecting after `pending` settled is a no-op, so a normal exit later is harmless.
      void exit.then(({ code, signal }) => reject(new Error(`pid ${child.pid} exited (${code ?? signal}) before ${what}; output:\n${output}`)));
    }),
    exited: (timeoutMs = 10_000) => new Promise<Exit>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`pid ${child.pid} still running after ${timeoutMs} ms; output so far:\n${output}`));
      }, timeoutMs);
      void exit.then((result) => {
        clearTimeout(timer);
        // 'exit' can fire before the pipes are drained; 'close' follows once they are.
        if (child.stdout?.readableEnded !== false && child.stderr?.readableEnded !== false) resolve({ ...result, output });
        else child.once('close', () => resolve({ ...result, output }));
      });
    }),
  };
}

/** The JSON lines of a process's output (other lines are ignored). */
export function jsonLines(output: string): Record<string, unknown>[] {
  return output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}
