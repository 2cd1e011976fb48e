// One terraform command, with an environment that holds nothing of the
// caller's AWS setup (no profile, keys or endpoint overrides can leak into a
// check), a bounded run time, and an abort that stops it.
import { spawn } from 'node:child_process';
import { guardedProxyEnv } from './egress-guard';
import { TerraformCheckError } from './errors';

export interface TerraformEnvironment {
  readonly bin: string;
  readonly cliConfigFile: string;
  readonly tmpDir: string;
  /** The egress guard's proxy URL: set for every command that must not reach the network (all but init). */
  readonly egressProxy?: string;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A single command may take this long on a slow, busy machine before it counts as hung. */
export const COMMAND_TIMEOUT_MS = 10 * 60_000;
/** How long an interrupted command may take to stop on its own. */
const INTERRUPT_GRACE_MS = 30_000;

export function terraformEnv(env: TerraformEnvironment): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // TF_LOG and TF_LOG_PATH stay: they are how one debugs a failed check.
    if (!key.startsWith('AWS_') && !(key.startsWith('TF_') && !key.startsWith('TF_LOG'))) kept[key] = value;
  }
  return {
    ...(env.egressProxy === undefined ? kept : guardedProxyEnv(kept, env.egressProxy)),
    TF_CLI_CONFIG_FILE: env.cliConfigFile,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    TMPDIR: env.tmpDir,
  };
}

export interface CommandContext {
  readonly cwd: string;
  readonly stack?: string;
  readonly form?: string;
  readonly step: string;
  /** Aborted (Ctrl-C, SIGTERM, a sibling's failure): the command is not started, or is interrupted. */
  readonly signal?: AbortSignal;
}

export function runTerraform(env: TerraformEnvironment, args: readonly string[], context: CommandContext): Promise<CommandResult> {
  const { signal, ...where } = context;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new TerraformCheckError(`terraform ${args[0]} not started: the run was interrupted`, where, { cause: signal.reason }));
      return;
    }
    const child = spawn(env.bin, ['-chdir=' + context.cwd, ...args], { env: terraformEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    // SIGINT is Terraform's own "stop gracefully" (what Ctrl-C sends it); one that
    // does not stop within INTERRUPT_GRACE_MS is killed.
    let escalation: NodeJS.Timeout | undefined;
    const interrupt = (): void => {
      child.kill('SIGINT');
      escalation = setTimeout(() => child.kill('SIGKILL'), INTERRUPT_GRACE_MS);
    };
    signal?.addEventListener('abort', interrupt, { once: true });
    const settle = (): void => {
      clearTimeout(timer);
      clearTimeout(escalation);
      signal?.removeEventListener('abort', interrupt);
    };
    child.on('error', (error) => {
      settle();
      reject(new TerraformCheckError(`could not run ${env.bin}: ${error.message}`, where, { cause: error }));
    });
    child.on('close', (code, sig) => {
      settle();
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else {
        const how = sig ? `was killed (${sig}${sig === 'SIGKILL' ? `, over ${COMMAND_TIMEOUT_MS / 60_000} min` : ''})` : `exited ${code}`;
        // Terraform prints some diagnostics on stdout; keep both.
        reject(new TerraformCheckError(`terraform ${args[0]} ${how}`, { ...where, stderr: `${stderr}${stdout ? `\n${stdout.slice(-4000)}` : ''}` }));
      }
    });
  });
}
