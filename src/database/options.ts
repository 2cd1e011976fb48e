// The bootstrap's command line, validated before anything connects: a bad
// option fails naming it, and nothing is written anywhere. The target (schema
// and user) is never typed by hand: it comes from the environment's resolved
// config, the same values the stack gives the function as DB_NAME / DB_USER.
import { DbTls, MYSQL_PORT } from '../protocol/function-env';
import { environments as configuredEnvironments } from '../infrastructure/config/environments';
import type { EnvironmentsInput } from '../infrastructure/config/types';
import { resolveEnvironments } from '../infrastructure/config/validate';
import { NameSuffix } from '../infrastructure/config/validate-names';
import { UsageError } from './errors';
import { SECRET_ARN, SECRET_NAME } from './secret-store';

/** The admin connection's TLS takes the same two values as the function's. */
export const AdminTls = DbTls;
export type AdminTls = DbTls;

/** Where the credentials may come from besides the command line: the environment keeps them out of shell history and `ps`. */
export const BootstrapEnv = {
  adminUrl: 'DB_ADMIN_URL',
  /** Replaces the URL's password; lets an IAM token (full of `&`, `=`, `%`) go in unencoded. */
  adminPassword: 'DB_ADMIN_PASSWORD',
  functionPassword: 'DB_FUNCTION_PASSWORD',
} as const;

export interface AdminEndpoint {
  readonly host: string;
  readonly port: number;
  /** The database in the URL (where the admin lands); the bootstrap's own target is `BootstrapTarget.schema`. */
  readonly database: string | undefined;
  readonly user: string;
  readonly password: string;
  readonly tls: AdminTls;
  /** `host:port` actually dialled (an SSM port forward); TLS still verifies `host`, the name the certificate carries. */
  readonly tunnel: { host: string; port: number } | undefined;
}

export interface BootstrapTarget {
  readonly environment: string;
  readonly schema: string;
  readonly user: string;
  /** The secret the stack creates for the user (create mode): its name and region. None for an adopted proxy. */
  readonly stackSecret?: { readonly id: string; readonly region: string };
}

export type Credential =
  | { readonly kind: 'password'; readonly password: string }
  /** `secretId`: an ARN or a name, both of which Secrets Manager accepts. */
  | { readonly kind: 'secret'; readonly secretId: string; readonly region: string; readonly rotate: boolean };

export interface BootstrapOptions {
  readonly target: BootstrapTarget;
  readonly admin: AdminEndpoint;
  readonly credential: Credential;
}

export const USAGE = `usage: npm run db:bootstrap -- --env <name> ([--secret-arn <arn>] [--rotate-password] | --password <pw>)
         [--admin-url mysql://<admin>:<password>@<host>:<port>/<db>] [--admin-tls required|off] [--tunnel <host>:<port>]
  --env           the environment whose function user and schema to set up (from src/infrastructure/config/environments.ts)
  --admin-url     an account that may create users and grant (or ${BootstrapEnv.adminUrl}; ${BootstrapEnv.adminPassword} replaces its password)
  --admin-tls     required (default: certificate and host name verified against the RDS CA bundle) or off (a local server)
  --tunnel        dial this address instead of the URL's host (an SSM port forward), still verifying the URL's host name
  --secret-arn    RDS: a random password is set and written to this secret, which the proxy uses for the user
                  (default: the secret the stack created, <namePrefix>${NameSuffix.functionUserSecret}, in the environment's region)
  --rotate-password  with --secret-arn: replace the password even if the secret already holds one
  --password      a local server: the user gets this password (or ${BootstrapEnv.functionPassword})`;

const VALUE_OPTIONS = ['--env', '--admin-url', '--admin-tls', '--tunnel', '--secret-arn', '--password'] as const;
const FLAG_OPTIONS = ['--rotate-password', '--help'] as const;

type Env = Readonly<Record<string, string | undefined>>;

export function parseArgs(argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
      values.set(name, 'true');
      continue;
    }
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) {
      throw new UsageError(name.startsWith('--') ? name : 'arguments', name.startsWith('--') ? 'is not an option of db:bootstrap' : `unexpected argument "${name.slice(0, 40)}"`);
    }
    if (values.has(name)) throw new UsageError(name, 'is given twice');
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(name, 'needs a value');
    values.set(name, value);
  }
  return values;
}

function parsePort(option: string, raw: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65_535)) throw new UsageError(option, `port must be 1-65535, got "${raw.slice(0, 10)}"`);
  return port;
}

/** Parses the admin URL; its messages never quote the URL (it holds a password). */
export function parseAdminUrl(option: string, raw: string, passwordOverride: string | undefined, tls: AdminTls): Omit<AdminEndpoint, 'tunnel'> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(option, 'is not a URL (expected mysql://<user>:<password>@<host>:<port>/<database>)');
  }
  if (url.protocol !== 'mysql:') throw new UsageError(option, `must start with mysql://, got ${url.protocol}//`);
  if (!url.hostname) throw new UsageError(option, 'names no host');
  const user = decodeURIComponent(url.username);
  if (!user) throw new UsageError(option, 'names no user (mysql://<user>:<password>@...)');
  const password = passwordOverride ?? decodeURIComponent(url.password);
  if (!password) throw new UsageError(option, `has no password (put it in the URL or in ${BootstrapEnv.adminPassword})`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined;
  // URL keeps IPv6 literals in brackets; the socket wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port ? parsePort(option, url.port) : MYSQL_PORT, database, user, password, tls };
}

function findEnvironment(name: string, inputs: EnvironmentsInput): BootstrapTarget {
  const configs = resolveEnvironments(inputs);
  const config = configs.find((c) => c.name === name);
  if (!config) throw new UsageError('--env', `unknown environment "${name.slice(0, 40)}"; configured: ${configs.map((c) => c.name).join(', ')}`);
  const { database } = config;
  return {
    environment: name, schema: database.dbName, user: database.dbUser,
    ...(database.createDatabase ? { stackSecret: { id: `${config.namePrefix}${NameSuffix.functionUserSecret}`, region: config.region } } : {}),
  };
}

/** Everything validated, nothing connected. `inputs` defaults to the repository's environments (tests pass fixtures). */
export function parseOptions(argv: readonly string[], env: Env, inputs: EnvironmentsInput = configuredEnvironments): BootstrapOptions {
  const args = parseArgs(argv);
  const envName = args.get('--env');
  if (!envName) throw new UsageError('--env', 'is required: the environment whose function user to set up');

  const tls = (args.get('--admin-tls') ?? AdminTls.required) as AdminTls;
  if (!Object.values(AdminTls).includes(tls)) throw new UsageError('--admin-tls', `must be one of ${Object.values(AdminTls).join(', ')}`);
  const rawUrl = args.get('--admin-url') ?? env[BootstrapEnv.adminUrl];
  const urlOption = args.has('--admin-url') ? '--admin-url' : BootstrapEnv.adminUrl;
  if (!rawUrl) throw new UsageError('--admin-url', `is required (or set ${BootstrapEnv.adminUrl}): mysql://<admin>:<password>@<host>:<port>/<db>`);
  const endpoint = parseAdminUrl(urlOption, rawUrl, env[BootstrapEnv.adminPassword] || undefined, tls);

  const rawTunnel = args.get('--tunnel');
  let tunnel: AdminEndpoint['tunnel'];
  if (rawTunnel !== undefined) {
    const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d+)$/.exec(rawTunnel);
    if (!m) throw new UsageError('--tunnel', `must be <host>:<port>, got "${rawTunnel.slice(0, 60)}"`);
    tunnel = { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: parsePort('--tunnel', m[2]) };
  }

  const target = findEnvironment(envName, inputs);
  const password = args.get('--password') ?? env[BootstrapEnv.functionPassword];
  const secretArn = args.get('--secret-arn');
  let credential: Credential;
  if (password !== undefined && secretArn !== undefined) {
    throw new UsageError('--password', 'and --secret-arn exclude each other: --password for a local server, --secret-arn for RDS');
  } else if (password !== undefined) {
    if (password.length < 8) throw new UsageError('--password', 'must be at least 8 characters');
    if (args.has('--rotate-password')) throw new UsageError('--rotate-password', 'only applies to a secret, not to --password');
    credential = { kind: 'password', password };
  } else if (secretArn !== undefined) {
    const arn = SECRET_ARN.exec(secretArn);
    if (!arn) throw new UsageError('--secret-arn', `must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), got "${secretArn.slice(0, 120)}"`);
    credential = { kind: 'secret', secretId: secretArn, region: arn[1], rotate: args.has('--rotate-password') };
  } else if (target.stackSecret && SECRET_NAME.test(target.stackSecret.id)) {
    credential = { kind: 'secret', secretId: target.stackSecret.id, region: target.stackSecret.region, rotate: args.has('--rotate-password') };
  } else {
    throw new UsageError('--secret-arn', `is required for environment "${envName}" (an adopted proxy: the stack created no secret for its user); for a local server give --password (or ${BootstrapEnv.functionPassword})`);
  }

  // The admin converging its own grants to the function's three would lock it out of its own server.
  if (target.user === endpoint.user) {
    throw new UsageError('--env', `environment "${envName}" names the admin user "${endpoint.user}" as the function's user; give the function its own user in the config`);
  }
  return { target, admin: { ...endpoint, tunnel }, credential };
}
