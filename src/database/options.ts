// The bootstrap's command line, validated before anything connects: a bad
// option fails naming it, and nothing is written anywhere. The target (schema
// and user) is never typed by hand: it comes from the environment's resolved
// config, the same values the stack gives the function as DB_NAME / DB_USER.
import { environments as configuredEnvironments } from '../infrastructure/config/environments';
import type { EnvironmentConfig, EnvironmentsInput } from '../infrastructure/config/types';
import { resolveEnvironments } from '../infrastructure/config/validate';
import { NameSuffix } from '../infrastructure/config/validate-names';
import { AdminTls, checkAdminTls, checkProxy, parseAdminUrl, parseTunnel, type AdminEndpoint } from './admin-endpoint';
import { UsageError } from './errors';
import { parseSecretArn, SECRET_NAME, type SecretExpectation } from './secret-store';

export { AdminTls, type AdminEndpoint } from './admin-endpoint';

/** Where the credentials may come from besides the command line: the environment keeps them out of shell history and `ps`. */
export const BootstrapEnv = {
  adminUrl: 'DB_ADMIN_URL',
  /** Replaces the URL's password; lets an IAM token (full of `&`, `=`, `%`) go in unencoded. */
  adminPassword: 'DB_ADMIN_PASSWORD',
  functionPassword: 'DB_FUNCTION_PASSWORD',
} as const;

export interface BootstrapTarget {
  readonly environment: string;
  readonly schema: string;
  readonly user: string;
}

export type Credential =
  | { readonly kind: 'password'; readonly password: string }
  /** `secretId`: an ARN or a name, both of which Secrets Manager accepts; `expected`: where it must turn out to live. */
  | { readonly kind: 'secret'; readonly secretId: string; readonly expected: SecretExpectation; readonly rotate: boolean };

export interface BootstrapOptions {
  readonly target: BootstrapTarget;
  readonly admin: AdminEndpoint;
  readonly credential: Credential;
}

export const USAGE = `usage: npm run db:bootstrap -- --env <name> ([--secret-arn <arn>] [--rotate-password] | --password <pw>)
         [--admin-url mysql://<admin>:<password>@<host>:<port>/<db>] [--admin-tls required|off] [--tunnel <host>:<port>] [--allow-proxy]
  --env           the environment whose function user and schema to set up (from src/infrastructure/config/environments.ts)
  --admin-url     an account that may create users and grant (or ${BootstrapEnv.adminUrl}; ${BootstrapEnv.adminPassword} replaces its password)
  --admin-tls     required (default: certificate and host name verified against the RDS CA bundle)
                  or off (only to 127.0.0.0/8, ::1, localhost, or through a --tunnel to one)
  --tunnel        dial this address instead of the URL's host (an SSM port forward), still verifying the URL's host name
  --allow-proxy   connect through an RDS Proxy endpoint (refused by default: a proxy with debug logging would log the new password)
  --secret-arn    RDS: a random password is set and written to this secret, which the proxy uses for the user
                  (default: the secret the stack created, <namePrefix>${NameSuffix.functionUserSecret}, in the environment's region)
  --rotate-password  with --secret-arn: replace the password even if the secret already holds one
  --password      a local server: the user gets this password (or ${BootstrapEnv.functionPassword})`;

const VALUE_OPTIONS = ['--env', '--admin-url', '--admin-tls', '--tunnel', '--secret-arn', '--password'] as const;
const FLAG_OPTIONS = ['--rotate-password', '--allow-proxy', '--help'] as const;

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

interface Environment {
  readonly target: BootstrapTarget;
  readonly config: EnvironmentConfig;
  /** Where the function user's secret must live: the proxy's region; the accounts the config pins, if any. */
  readonly expected: SecretExpectation;
  /** The stack's own secret (create mode); none for an adopted proxy. */
  readonly stackSecret: string | undefined;
}

function findEnvironment(name: string, inputs: EnvironmentsInput): Environment {
  const configs = resolveEnvironments(inputs);
  const config = configs.find((c) => c.name === name);
  if (!config) throw new UsageError('--env', `unknown environment "${name.slice(0, 40)}"; configured: ${configs.map((c) => c.name).join(', ')}`);
  const { database } = config;
  return {
    target: { environment: name, schema: database.dbName, user: database.dbUser },
    config,
    // RDS Proxy reads its secrets in its own region; an adopted proxy's ARN names that region.
    expected: { region: database.createDatabase ? config.region : database.proxyRegion, accounts: config.provider.allowedAccountIds ?? [] },
    stackSecret: database.createDatabase ? `${config.namePrefix}${NameSuffix.functionUserSecret}` : undefined,
  };
}

function secretCredential(args: Map<string, string>, env: Environment): Credential {
  const rotate = args.has('--rotate-password');
  const secretArn = args.get('--secret-arn');
  const { expected, target } = env;
  if (secretArn === undefined) {
    if (env.stackSecret && SECRET_NAME.test(env.stackSecret)) return { kind: 'secret', secretId: env.stackSecret, expected, rotate };
    throw new UsageError('--secret-arn', `is required for environment "${target.environment}" (an adopted proxy: the stack created no secret for its user); for a local server give --password (or ${BootstrapEnv.functionPassword})`);
  }
  const arn = parseSecretArn(secretArn);
  if (!arn) throw new UsageError('--secret-arn', `must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), got "${secretArn.slice(0, 120)}"`);
  if (arn.region !== expected.region) {
    throw new UsageError('--secret-arn', `names region ${arn.region}, but environment "${target.environment}"'s proxy is in ${expected.region} and reads its secrets there`);
  }
  if (expected.accounts.length > 0 && !expected.accounts.includes(arn.account)) {
    throw new UsageError('--secret-arn', `names account ${arn.account}, but environment "${target.environment}" allows only ${expected.accounts.join(', ')} (provider.allowedAccountIds)`);
  }
  // The ARN's own account is what the secret must turn out to be in.
  return { kind: 'secret', secretId: secretArn, expected: { region: arn.region, accounts: [arn.account] }, rotate };
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
  const rawTunnel = args.get('--tunnel');
  const admin: AdminEndpoint = {
    ...parseAdminUrl(urlOption, rawUrl, env[BootstrapEnv.adminPassword] || undefined, tls),
    tunnel: rawTunnel === undefined ? undefined : parseTunnel(rawTunnel),
  };
  checkAdminTls(admin);

  const environment = findEnvironment(envName, inputs);
  const { target, config } = environment;
  checkProxy(admin, args.has('--allow-proxy'), envName, config.database.createDatabase && config.database.proxy.debugLogging);

  const password = args.get('--password') ?? env[BootstrapEnv.functionPassword];
  let credential: Credential;
  if (password !== undefined && args.has('--secret-arn')) {
    throw new UsageError('--password', 'and --secret-arn exclude each other: --password for a local server, --secret-arn for RDS');
  } else if (password !== undefined) {
    if (password.length < 8) throw new UsageError('--password', 'must be at least 8 characters');
    if (args.has('--rotate-password')) throw new UsageError('--rotate-password', 'only applies to a secret, not to --password');
    credential = { kind: 'password', password };
  } else {
    credential = secretCredential(args, environment);
  }

  // The admin converging its own grants to the function's three would lock it out of its own server.
  if (target.user === admin.user) {
    throw new UsageError('--env', `environment "${envName}" names the admin user "${admin.user}" as the function's user; give the function its own user in the config`);
  }
  return { target, admin, credential };
}
