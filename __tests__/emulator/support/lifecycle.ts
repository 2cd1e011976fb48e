// Per-test bookkeeping for lifecycle tests: temp sandboxes that are removed
// and environments that are always shut down, so no runtime outlives its test
// (nor stays SIGSTOPped).
import * as fs from 'node:fs';
import { startEnvironment, type Environment, type EnvironmentOptions } from '../../../src/emulator';
import { Sandbox } from './fixtures';

export function useLifecycle() {
  const sandboxes: Sandbox[] = [];
  const environments: Environment[] = [];
  afterEach(async () => {
    const leftovers = environments.splice(0).filter((env) => env.state !== 'shutdown');
    await Promise.allSettled(leftovers.map((env) => env.shutdown()));
    for (const sandbox of sandboxes.splice(0)) sandbox.remove();
  }, 30_000);

  return {
    sandbox(): Sandbox {
      const sandbox = new Sandbox();
      sandboxes.push(sandbox);
      return sandbox;
    },
    /** Starts an environment on the sandbox's handler and extensions directories. */
    async start(sandbox: Sandbox, options: EnvironmentOptions = {}): Promise<Environment> {
      const environment = await startEnvironment({
        handlerDir: sandbox.handlerDir,
        extensionsDir: sandbox.extensionsDir,
        label: expect.getState().currentTestName ?? 'emulator test',
        ...options,
      });
      environments.push(environment);
      return environment;
    },
  };
}

/** The process state letter from /proc (T = stopped), or undefined once gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
