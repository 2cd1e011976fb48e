// One terraform command, with an environment that holds nothing of the
// caller's AWS setup (no profile, keys or endpoint overrides can leak into a
// check) and a bounded run time.
import { spawn } from 'node:child_process';
import { TerraformCheckError } from './errors';

export interface TerraformEnvironment {
  readonly bin: string;
  readonly cliConfigFile: string;
  readonly tmpDir: string;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A single command may take this long on a slow, busy machine before it counts as hung. */
export const COMMAND_TIMEOUT_MS = 10 * 60_000;

export function terraformEnv(env: TerraformEnvironment): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // TF_LOG and TF_LOG_PATH stay: they are how one debugs a failed check.
    if (!key.startsWith('AWS_') && !(key.startsWith('TF_') && !key.startsWith('TF_LOG'))) kept[key] = value;
  }
  return {
    ...kept,
    TF_CLI_CONFIG_FILE: env.cliConfigFile,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    TMPDIR: env.tmpDir,
  };
}

export function runTerraform(
  env: TerraformEnvironment,
  args: readonly string[],
  context: { cwd: string; stack?: string; form?: string; step: string },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(env.bin, ['-chdir=' + context.cwd, ...args], { env: terraformEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new TerraformCheckError(`could not run ${env.bin}: ${error.message}`, context, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else {
        const how = signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, over ${COMMAND_TIMEOUT_MS / 60_000} min` : ''})` : `exited ${code}`;
        // Terraform prints some diagnostics on stdout; keep both.
        reject(new TerraformCheckError(`terraform ${args[0]} ${how}`, { ...context, stderr: `${stderr}${stdout ? `\n${stdout.slice(-4000)}` : ''}` }));
      }
    });
  });
}
