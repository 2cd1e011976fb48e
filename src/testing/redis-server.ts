// A Redis server for tests, `npm run local -- --cache` and the bench: by
// default a private redis-server in a temporary directory on a free loopback
// port, so every `connected_clients` it reports belongs to the caller;
// `REDIS_URL` points everything at an existing server instead. With neither
// available, starting one FAILS with how to get one: cache tests never skip.
import { AdminBackedServer, adminConnection, RedisServerError, type RedisServer } from './redis-server-api';
import { startPrivateRedisServer } from './private-redis-server';

export { RedisServerError, parseInfo, type RedisServer } from './redis-server-api';

/** A server we do not own (REDIS_URL): counters and commands, no signals. */
export class ExternalRedisServer extends AdminBackedServer {
  readonly pid = undefined;
  readonly host: string;
  readonly port: number;

  private constructor(parsed: URL) {
    super();
    this.host = parsed.hostname;
    this.port = Number(parsed.port || 6379);
  }

  static async connect(url: string): Promise<ExternalRedisServer> {
    const parsed = new URL(url);
    const server = new ExternalRedisServer(parsed);
    server.admin = await adminConnection(server.host, server.port, {
      username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password), tls: parsed.protocol === 'rediss:',
    });
    return server;
  }

  async suspend(): Promise<void> { throw new RedisServerError('cannot suspend a REDIS_URL server'); }
  resume(): void { throw new RedisServerError('cannot resume a REDIS_URL server'); }
  async shutdown(): Promise<void> { throw new RedisServerError('cannot shut down a REDIS_URL server'); }
  async start(): Promise<void> { throw new RedisServerError('cannot start a REDIS_URL server'); }
  async stop(): Promise<void> { this.admin?.disconnect(); this.admin = undefined; }
}

export interface StartRedisOptions {
  /** Ignore REDIS_URL (tests that need signals or a shutdown). */
  privateOnly?: boolean;
}

export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  if (process.env.REDIS_URL && !options.privateOnly) return ExternalRedisServer.connect(process.env.REDIS_URL);
  return startPrivateRedisServer();
}
