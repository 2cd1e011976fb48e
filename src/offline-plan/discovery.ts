// Finds the terraform binary and, where there is one, a local mirror of the
// hashicorp/aws provider in Terraform's filesystem-mirror layout
// (<root>/registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/terraform-provider-aws_*).
// Mirror discovery order, first hit wins:
//   1. $TF_PROVIDER_MIRROR (an error if it holds no aws provider: it was asked for;
//      `none` skips mirrors altogether);
//   2. Terraform's own implied mirror directories: ~/.terraform.d/plugins,
//      $XDG_DATA_HOME/terraform/plugins (default ~/.local/share/terraform/plugins),
//      /usr/local/share/terraform/plugins, /usr/share/terraform/plugins;
//   3. any directory one level under /opt (e.g. /opt/tf-plugins, where CI images put one).
// No mirror found: Terraform installs the provider from the registry.
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TerraformCheckError, TerraformNotFoundError } from './errors';
import { compareVersions, parseVersion } from '../infrastructure/provider-version';

export const AWS_PROVIDER_ADDRESS = 'registry.terraform.io/hashicorp/aws';

export interface ProviderMirror {
  /** The directory given to Terraform as `filesystem_mirror { path = ... }`. */
  readonly root: string;
  /** Versions of hashicorp/aws there for this platform, oldest first. */
  readonly versions: readonly string[];
  /** How it was found, for the run's report. */
  readonly foundBy: string;
}

/** Terraform's platform name for this machine, e.g. linux_amd64. */
export function terraformPlatform(): string {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return `${process.platform === 'win32' ? 'windows' : process.platform}_${arch[process.arch] ?? process.arch}`;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** $TERRAFORM_BIN, else the first `terraform` on PATH (what `command -v terraform` finds). */
export function findTerraform(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TERRAFORM_BIN) {
    if (isExecutable(env.TERRAFORM_BIN)) return env.TERRAFORM_BIN;
    throw new TerraformCheckError(`TERRAFORM_BIN=${env.TERRAFORM_BIN} is not an executable file`, { step: 'find terraform' });
  }
  const searched = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of searched) {
    const candidate = path.join(dir, 'terraform');
    if (isExecutable(candidate)) return candidate;
  }
  throw new TerraformNotFoundError(searched);
}

/** The aws provider versions a mirror root holds for this platform (unpacked or packed layout). */
export function mirroredAwsVersions(root: string, platform = terraformPlatform()): string[] {
  const dir = path.join(root, ...AWS_PROVIDER_ADDRESS.split('/'));
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const versions = new Set<string>();
  for (const entry of entries) {
    const unpacked = path.join(dir, entry, platform);
    if (/^\d+\.\d+\.\d+$/.test(entry) && existsSync(unpacked) && readdirSync(unpacked).some((f) => f.startsWith('terraform-provider-aws'))) {
      versions.add(entry);
    }
    const packed = new RegExp(`^terraform-provider-aws_(\\d+\\.\\d+\\.\\d+)_${platform}\\.zip$`).exec(entry);
    if (packed) versions.add(packed[1]);
  }
  return [...versions].sort((a, b) => compareVersions(parseVersion(a), parseVersion(b)));
}

function candidateRoots(env: NodeJS.ProcessEnv): { root: string; foundBy: string }[] {
  const home = env.HOME ?? os.homedir();
  const xdgData = env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  const implied = [
    path.join(home, '.terraform.d', 'plugins'),
    path.join(xdgData, 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ].map((root) => ({ root, foundBy: 'a Terraform implied mirror directory' }));
  let underOpt: string[] = [];
  try {
    underOpt = readdirSync('/opt').sort().map((name) => path.join('/opt', name));
  } catch { /* no /opt */ }
  return [...implied, ...underOpt.map((root) => ({ root, foundBy: 'a directory under /opt' }))];
}

export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): ProviderMirror | undefined {
  // "none": skip every mirror and let the registry serve (a machine with internet and an old mirror).
  if (env.TF_PROVIDER_MIRROR === 'none') return undefined;
  if (env.TF_PROVIDER_MIRROR) {
    const versions = mirroredAwsVersions(env.TF_PROVIDER_MIRROR);
    if (versions.length === 0) {
      throw new TerraformCheckError(
        `TF_PROVIDER_MIRROR=${env.TF_PROVIDER_MIRROR} holds no ${AWS_PROVIDER_ADDRESS} provider for ${terraformPlatform()} `
        + `(expected ${AWS_PROVIDER_ADDRESS}/<version>/${terraformPlatform()}/terraform-provider-aws_* under it)`,
        { step: 'find provider mirror' },
      );
    }
    return { root: env.TF_PROVIDER_MIRROR, versions, foundBy: '$TF_PROVIDER_MIRROR' };
  }
  for (const { root, foundBy } of candidateRoots(env)) {
    const versions = mirroredAwsVersions(root);
    if (versions.length > 0) return { root, versions, foundBy };
  }
  return undefined;
}
