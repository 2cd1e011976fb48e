// `npm run db:bootstrap`: validate, say where it connects, run the plan, say
// what changed. Every line it prints goes through redact(), so neither the
// admin's password nor the function user's ever reaches a terminal or a CI
// log, whatever a server or SDK error message happens to quote.
import type { Connection } from 'mysql2/promise';
import { connectAdmin, describeEndpoint } from './admin-connection';
import { isRdsProxyHost } from './admin-endpoint';
import { bootstrap, FUNCTION_USER_HOST, generatePassword, type BootstrapDeps } from './bootstrap';
import { BootstrapError, UsageError, describeCause } from './errors';
import { BootstrapEnv, parseOptions, USAGE, type BootstrapOptions } from './options';
import { AwsSecretStore } from './secret-store';
import type { EnvironmentsInput } from '../infrastructure/config/types';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CliDeps extends BootstrapDeps {
  /** Tests pass fixture environments; the command uses the repository's. */
  readonly environments?: EnvironmentsInput;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Replaces every known secret (raw and URL-encoded) with ***. */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const needles = [...new Set(secrets.flatMap((s) => (s ? [s, encodeURIComponent(s)] : [])))]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  return (text) => needles.reduce((acc, needle) => acc.split(needle).join('***'), text);
}

function passwordsIn(argv: readonly string[], env: Env): string[] {
  const found = [env[BootstrapEnv.adminPassword], env[BootstrapEnv.functionPassword]].filter((s): s is string => !!s);
  const url = [...argv.filter((a) => a.startsWith('mysql:') || a.startsWith('--admin-url=')), env[BootstrapEnv.adminUrl] ?? '']
    .map((a) => a.replace(/^--admin-url=/, ''));
  for (const raw of url) {
    const m = /^mysql:\/\/[^:/@]*:([^@]*)@/.exec(raw);
    if (!m?.[1]) continue;
    found.push(m[1]);
    // A malformed escape is parseOptions' to report (naming the option); here it only means there is no decoded form to mask.
    try {
      found.push(decodeURIComponent(m[1]));
    } catch {
      // nothing more to mask
    }
  }
  const password = argv.findIndex((a) => a === '--password' || a.startsWith('--password='));
  if (password >= 0) found.push(argv[password].includes('=') ? argv[password].slice('--password='.length) : argv[password + 1] ?? '');
  return found;
}

export async function runBootstrapCli(argv: readonly string[], env: Env, io: CliIo, deps: CliDeps = {}): Promise<ExitCode> {
  let redact = redactor(passwordsIn(argv, env));
  const out = (line: string) => io.out(redact(line));
  const err = (line: string) => io.err(redact(line));
  if (argv.includes('--help')) {
    out(USAGE);
    return ExitCode.ok;
  }
  let options: BootstrapOptions;
  try {
    options = parseOptions(argv, env, deps.environments);
  } catch (error) {
    err(`db:bootstrap: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof UsageError) err(USAGE);
    return error instanceof UsageError ? ExitCode.usage : ExitCode.failed;
  }
  redact = redactor([...passwordsIn(argv, env), options.admin.password, options.credential.kind === 'password' ? options.credential.password : undefined]);

  const { target, credential } = options;
  out(`db:bootstrap: environment ${target.environment}: user '${target.user}'@'${FUNCTION_USER_HOST}' on schema \`${target.schema}\``
    + ` (${credential.kind === 'password' ? 'password from --password' : `password in secret ${credential.secretId} (${credential.expected.region})`})`);
  out(`connecting as ${describeEndpoint(options.admin)}`);
  if (isRdsProxyHost(options.admin.host)) out('  through an RDS Proxy (--allow-proxy): its debug logging must stay off, or it logs the new password');
  let connection: Connection | undefined;
  const newPasswords: string[] = [];
  try {
    connection = await connectAdmin(options.admin);
    const generate = deps.randomPassword ?? generatePassword;
    const report = await bootstrap(connection, options, {
      ...(deps.secrets ? { secrets: deps.secrets } : credential.kind === 'secret' ? { secrets: new AwsSecretStore(credential.expected.region) } : {}),
      // Every generated password joins the redaction list before anything can print it.
      randomPassword: () => {
        const value = generate();
        newPasswords.push(value);
        redact = redactor([...passwordsIn(argv, env), options.admin.password, ...newPasswords]);
        return value;
      },
    });
    if (report.changes.length === 0) {
      out(`nothing to do: ${report.account} already has exactly ${report.grants.join('; ')}`);
    } else {
      for (const change of report.changes) out(`  ${change.description}`);
      out(`done: ${report.changes.length} change${report.changes.length === 1 ? '' : 's'}; ${report.account} now has exactly ${report.grants.join('; ')}`);
    }
    return ExitCode.ok;
  } catch (error) {
    err(`db:bootstrap failed: ${error instanceof BootstrapError ? error.message : describeCause(error)}`);
    return ExitCode.failed;
  } finally {
    await connection?.end().catch(() => undefined);
  }
}
