// The `network` option with its defaults, validated at the boundary like every
// other option: the model, the path idle timeout, and the upstreams, each
// mapped onto the function's variables that name it.
import { FunctionEnv, MYSQL_PORT, REDIS_PORT } from '../protocol/function-env';
import { InvalidOptionError } from './errors';
import { DEFAULT_PATH_IDLE_TIMEOUT_MS, NETWORK_MODELS, NetworkModel, type NetworkOptions } from './network-types';
import type { ResolvedUpstream } from './relay';

/** Servers the function is known to use, by name: the variables naming each and the port when none is set. */
export const KNOWN_UPSTREAMS: Readonly<Record<string, { hostVariable: string; portVariable: string; defaultPort: number }>> = {
  db: { hostVariable: FunctionEnv.host, portVariable: FunctionEnv.port, defaultPort: MYSQL_PORT },
  cache: { hostVariable: FunctionEnv.cacheHost, portVariable: FunctionEnv.cachePort, defaultPort: REDIS_PORT },
};

export interface ResolvedNetwork {
  model: NetworkModel;
  pathIdleTimeoutMs: number;
  upstreams: ResolvedUpstream[];
}

function port(option: string, value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65_535) {
    throw new InvalidOptionError(option, `must be a port number 1-65535, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Known upstreams whose host variable the function's environment sets. */
function fromEnvironment(env: Record<string, string>): ResolvedUpstream[] {
  return Object.entries(KNOWN_UPSTREAMS).flatMap(([name, known]) => {
    const host = env[known.hostVariable]?.trim();
    if (!host) return [];
    const rawPort = env[known.portVariable];
    return [{
      name, host, hostVariable: known.hostVariable, portVariable: known.portVariable,
      port: rawPort === undefined || rawPort.trim() === '' ? known.defaultPort : port(`env.${known.portVariable}`, rawPort.trim()),
    }];
  });
}

export function resolveNetwork(option: NetworkModel | NetworkOptions | undefined, env: Record<string, string>): ResolvedNetwork {
  const options: NetworkOptions = typeof option === 'string' ? { model: option } : option ?? {};
  const model = options.model ?? NetworkModel.destroyed;
  if (!NETWORK_MODELS.includes(model)) throw new InvalidOptionError('network.model', `"${String(model)}" is not one of ${NETWORK_MODELS.join(', ')}`);
  const pathIdleTimeoutMs = options.pathIdleTimeoutMs ?? DEFAULT_PATH_IDLE_TIMEOUT_MS;
  if (!Number.isInteger(pathIdleTimeoutMs) || pathIdleTimeoutMs <= 0) {
    throw new InvalidOptionError('network.pathIdleTimeoutMs', `must be a positive integer, got ${pathIdleTimeoutMs}`);
  }
  const upstreams = new Map(fromEnvironment(env).map((upstream) => [upstream.name, upstream]));
  for (const [name, given] of Object.entries(options.upstreams ?? {})) {
    const option = `network.upstreams.${name}`;
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name) || name === 'all') throw new InvalidOptionError(option, 'an upstream name is 1-32 lowercase letters, digits or "-", and not "all"');
    const known = KNOWN_UPSTREAMS[name];
    const hostVariable = given.hostVariable ?? known?.hostVariable;
    const portVariable = given.portVariable ?? known?.portVariable;
    if (!hostVariable || !portVariable) throw new InvalidOptionError(option, 'is not a known upstream: give hostVariable and portVariable, the function\'s variables that name it');
    if (typeof given.host !== 'string' || given.host.trim() === '') throw new InvalidOptionError(`${option}.host`, 'must be a non-empty string');
    upstreams.set(name, { name, host: given.host.trim(), port: port(`${option}.port`, given.port), hostVariable, portVariable });
  }
  const variables = [...upstreams.values()].flatMap((upstream) => [upstream.hostVariable, upstream.portVariable]);
  const repeated = variables.find((variable, i) => variables.indexOf(variable) !== i);
  if (repeated) throw new InvalidOptionError('network.upstreams', `two upstreams are named by the same variable ${repeated}`);
  return { model, pathIdleTimeoutMs, upstreams: [...upstreams.values()] };
}
