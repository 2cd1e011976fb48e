// Synthesis for main.ts (the cdktf CLI's `app`) and scripts/synth.ts: CDKTF
// writes the manifest and each stack's JSON, then each stack's zips go into
// its own directory, and optionally an HCL rendering for plan review.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { App } from './cdk';
import { GracefulShutdownStack } from './graceful-shutdown-stack';
import { renderReviewHcl } from './hcl-review';

/** cdktf.out/review/<stack>.tf: outside the stack directories, so Terraform never loads it beside the JSON. */
export const REVIEW_DIR = 'review';

export interface SynthesizeOptions {
  /** Also write the HCL rendering of every stack for review. */
  hcl?: boolean;
}

export function stackDir(app: App, stack: GracefulShutdownStack): string {
  return path.join(app.outdir, 'stacks', stack.node.id);
}

export async function synthesize(app: App, options: SynthesizeOptions = {}): Promise<GracefulShutdownStack[]> {
  const stacks = app.node.children.filter((c): c is GracefulShutdownStack => c instanceof GracefulShutdownStack);
  app.synth();
  for (const stack of stacks) {
    for (const asset of stack.assets) {
      const target = path.join(stackDir(app, stack), asset.relativePath);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, asset.bytes);
    }
  }
  if (options.hcl) {
    mkdirSync(path.join(app.outdir, REVIEW_DIR), { recursive: true });
    for (const stack of stacks) {
      writeFileSync(path.join(app.outdir, REVIEW_DIR, `${stack.node.id}.tf`), await renderReviewHcl(stack));
    }
  }
  return stacks;
}
