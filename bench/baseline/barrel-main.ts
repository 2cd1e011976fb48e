// The synth benchmark's baseline: the same stacks as
// main.ts, the way a CDKTF project usually starts - run by ts-node (which
// type-checks), with the provider imported through its barrel. Never used to
// deploy; `npm run synth` is the real path.
//   node_modules/.bin/ts-node bench/baseline/barrel-main.ts
import * as os from 'node:os';
import * as path from 'node:path';
// eslint-disable-next-line no-restricted-imports -- the barrel is what this baseline measures
import * as aws from '@cdktf/provider-aws';
import { buildApp } from '../../src/infrastructure/app';
import { synthesize } from '../../src/infrastructure/synthesize';

async function main(): Promise<void> {
  // Touch the barrel so no loader can skip it: every provider module is loaded, as in a barrel-importing app.
  if (Object.keys(aws).length === 0) throw new Error('provider barrel is empty');
  const { app, stacks } = buildApp({ outdir: process.env.CDKTF_OUTDIR ?? path.join(os.tmpdir(), 'barrel-baseline.out') });
  await synthesize(app);
  console.log(`baseline: ${stacks.length} stacks written to ${app.outdir}`);
}

void main();
