// A build directory packaged as a deterministic zip at synth time. The zip's
// bytes are known while the tree is built, so the hash Terraform compares
// (source_code_hash) is a literal, and the file is written into the stack's
// own directory after synthesis (writeStackAssets), where `filename` finds it
// relative to Terraform's working directory.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Construct } from './cdk';
import { createZip, readTree } from './deterministic-zip';
import { ArtifactError } from './errors';
import { PROJECT_ROOT } from '../protocol/artifacts';

export interface ZipAssetProps {
  /** Directory to package (e.g. dist/handler). */
  sourceDir: string;
  /** File name inside the stack's assets/ directory, without .zip. */
  fileName: string;
  /** Paths (relative to sourceDir) that must exist, so a half-built dist fails the synth, not the deploy. */
  requiredFiles: readonly string[];
}

export class ZipAsset extends Construct {
  /** Path relative to the stack's working directory (cdktf.out/stacks/<stack>/). */
  public readonly relativePath: string;
  /** base64(sha256(zip)): what Lambda reports as CodeSha256. */
  public readonly sourceCodeHash: string;
  public readonly bytes: Buffer;

  constructor(scope: Construct, id: string, props: ZipAssetProps) {
    super(scope, id);
    const shown = path.relative(PROJECT_ROOT, props.sourceDir) || props.sourceDir;
    if (!existsSync(props.sourceDir) || !statSync(props.sourceDir).isDirectory()) {
      throw new ArtifactError(shown, 'does not exist: run `npm run build` first (`npm run synth` does)');
    }
    for (const file of props.requiredFiles) {
      if (!existsSync(path.join(props.sourceDir, file))) throw new ArtifactError(`${shown}/${file}`, 'is missing: run `npm run build`');
    }
    this.bytes = createZip(readTree(props.sourceDir));
    this.sourceCodeHash = createHash('sha256').update(this.bytes).digest('base64');
    this.relativePath = `assets/${props.fileName}.zip`;
  }
}
