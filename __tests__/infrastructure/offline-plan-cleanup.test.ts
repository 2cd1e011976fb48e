// The plan runner's temporary root goes away however the run ends: a loopback
// stand-in that cannot start, or an interrupt (Ctrl-C / SIGTERM in `npm run
// plan`) while terraform runs. The loopback STS is replaced here by one that
// fails to start, and terraform by a script that records its pid and waits, so
// no real terraform is needed and every wait is for a state.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { planStacks } from '../../src/offline-plan/plan-runner';

const failingStub = { enabled: false };
jest.mock('../../src/offline-plan/sts-stub', () => {
  const actual = jest.requireActual('../../src/offline-plan/sts-stub');
  return {
    ...actual,
    startStsStub: (...args: unknown[]) => (failingStub.enabled
      ? Promise.reject(new Error('listen EADDRINUSE: the loopback STS could not start'))
      : actual.startStsStub(...args)),
  };
});

/**
 * The runner's own temporary roots (terraform-plan-*) in os.tmpdir(). Jest
 * gives the test its own copy of process.env, so TMPDIR cannot be pointed
 * elsewhere from here: the roots are told apart by name (every other test
 * that plans gives the runner a workRoot of its own).
 */
function runnerRoots(): string[] {
  return readdirSync(os.tmpdir()).filter((name) => name.startsWith('terraform-plan-')).sort();
}

/** A stand-in terraform: answers `version`, and for anything else writes its pid and waits to be stopped. */
function fakeTerraform(dir: string, pidFile: string): string {
  const bin = path.join(dir, 'terraform');
  writeFileSync(bin, [
    '#!/bin/sh',
    'for a in "$@"; do [ "$a" = version ] && { echo \'{"terraform_version":"1.11.4"}\'; exit 0; }; done',
    `echo $$ > ${JSON.stringify(pidFile)}`,
    'exec sleep 600',
    '',
  ].join('\n'));
  chmodSync(bin, 0o755);
  return bin;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls for a state: at most `tries` looks, 50 ms apart. */
async function until(what: string, check: () => boolean, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (check()) return;
    await sleep(50);
  }
  throw new Error(`${what}: not reached after ${tries} looks`);
}

describe('the plan runner\'s temporary root', () => {
  afterEach(() => { failingStub.enabled = false; });

  it('is removed when the loopback STS fails to start', async () => {
    failingStub.enabled = true;
    const before = runnerRoots();
    await expect(planStacks([], { env: process.env })).rejects.toThrow(/the loopback STS could not start/);
    expect(runnerRoots()).toEqual(before);
  });

  it('is removed, and terraform stopped, when the run is interrupted', async () => {
    const tools = mkdtempSync(path.join(os.tmpdir(), 'plan-cleanup-tools-'));
    const pidFile = path.join(tools, 'terraform.pid');
    const stackDir = path.join(tools, 'stack');
    mkdirSync(stackDir);
    writeFileSync(path.join(stackDir, 'cdk.tf.json'), '{}');
    const env = { ...process.env, TERRAFORM_BIN: fakeTerraform(tools, pidFile), TF_PROVIDER_MIRROR: 'none' };
    const before = runnerRoots();
    const interrupt = new AbortController();
    const running = planStacks([{ name: 'dev', stackDir }], { env, signal: interrupt.signal });
    running.catch(() => undefined);
    await until('terraform init started', () => existsSync(pidFile) && /^\d+\n$/.test(readFileSync(pidFile, 'utf8')));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(runnerRoots()).toHaveLength(before.length + 1);
      interrupt.abort();
      await expect(running).rejects.toThrow(/stack "dev" \(json\), terraform init: terraform init was killed \(SIGINT\)/);
      expect(isRunning(pid)).toBe(false);
      expect(runnerRoots()).toEqual(before);
    } finally {
      if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
