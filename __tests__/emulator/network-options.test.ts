// The `network` option: a model by name or with its settings, upstreams from
// the function's own variables by default, and every mistake named.
import { InvalidOptionError } from '../../src/emulator/errors';
import { resolveNetwork } from '../../src/emulator/network-options';
import { DEFAULT_PATH_IDLE_TIMEOUT_MS, NetworkModel } from '../../src/emulator/network-types';

const ENV = { DB_HOST: 'db.internal', DB_PORT: '3307' };

function optionError(run: () => unknown): InvalidOptionError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error('no InvalidOptionError');
}

describe('the network option', () => {
  it('defaults to model destroyed, the 350 s path idle timeout, and the db upstream the function\'s variables name', () => {
    expect(resolveNetwork(undefined, ENV)).toEqual({
      model: NetworkModel.destroyed,
      pathIdleTimeoutMs: DEFAULT_PATH_IDLE_TIMEOUT_MS,
      upstreams: [{ name: 'db', host: 'db.internal', port: 3307, hostVariable: 'DB_HOST', portVariable: 'DB_PORT' }],
    });
    expect(DEFAULT_PATH_IDLE_TIMEOUT_MS).toBe(350_000);
  });

  it('takes MySQL\'s port when DB_PORT is unset, and no upstream when DB_HOST is', () => {
    expect(resolveNetwork('local-kernel', { DB_HOST: 'h' }).upstreams[0]?.port).toBe(3306);
    expect(resolveNetwork('local-kernel', {}).upstreams).toEqual([]);
  });

  it('knows the cache too: CACHE_HOST/CACHE_PORT, Redis\'s port when CACHE_PORT is unset', () => {
    expect(resolveNetwork(undefined, { ...ENV, CACHE_HOST: 'cache.internal' }).upstreams).toEqual([
      { name: 'db', host: 'db.internal', port: 3307, hostVariable: 'DB_HOST', portVariable: 'DB_PORT' },
      { name: 'cache', host: 'cache.internal', port: 6379, hostVariable: 'CACHE_HOST', portVariable: 'CACHE_PORT' },
    ]);
  });

  it('takes named upstreams, a known name with its variables, another with the variables given', () => {
    const resolved = resolveNetwork({ upstreams: { db: { host: '127.0.0.1', port: 1 }, cache: { host: '127.0.0.1', port: 2, hostVariable: 'CACHE_HOST', portVariable: 'CACHE_PORT' } } }, ENV);
    expect(resolved.upstreams.map((u) => [u.name, u.port, u.hostVariable, u.portVariable])).toEqual([['db', 1, 'DB_HOST', 'DB_PORT'], ['cache', 2, 'CACHE_HOST', 'CACHE_PORT']]);
  });

  it('names the option that is wrong', () => {
    expect(optionError(() => resolveNetwork('wired' as NetworkModel, ENV)).option).toBe('network.model');
    expect(optionError(() => resolveNetwork({ pathIdleTimeoutMs: 0 }, ENV)).option).toBe('network.pathIdleTimeoutMs');
    expect(optionError(() => resolveNetwork(undefined, { DB_HOST: 'h', DB_PORT: 'x' })).option).toBe('env.DB_PORT');
    expect(optionError(() => resolveNetwork({ upstreams: { flags: { host: 'h', port: 1 } } }, ENV)).option).toBe('network.upstreams.flags');
    expect(optionError(() => resolveNetwork({ upstreams: { db: { host: 'h', port: 70_000 } } }, ENV)).option).toBe('network.upstreams.db.port');
    expect(optionError(() => resolveNetwork({ upstreams: { all: { host: 'h', port: 1, hostVariable: 'A', portVariable: 'B' } } }, ENV)).option).toBe('network.upstreams.all');
    expect(optionError(() => resolveNetwork({ upstreams: { other: { host: 'h', port: 1, hostVariable: 'DB_HOST', portVariable: 'X' } } }, ENV)).message).toMatch(/same variable DB_HOST/);
  });
});
