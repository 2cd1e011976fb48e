// The CDKTF app (cdktf.json "app"): only wires the stacks, one per
// environment (src/infrastructure/app.ts). A bad config fails before anything
// is written; `npm run synth` runs the same wiring through scripts/synth.ts.
import { buildApp } from './src/infrastructure/app';
import { InfrastructureError } from './src/infrastructure/errors';
import { synthesize } from './src/infrastructure/synthesize';

async function main(): Promise<void> {
  await synthesize(buildApp().app);
}

main().catch((error: unknown) => {
  if (!(error instanceof InfrastructureError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
});
