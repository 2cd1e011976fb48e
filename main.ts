// The CDKTF app (cdktf.json "app"): one stack per environment. Every
// environment is validated before the first construct exists, so a bad config
// fails here and writes nothing. `npm run synth` runs the same wiring through
// scripts/synth.ts.
import { App } from './src/infrastructure/cdk';
import { environments } from './src/infrastructure/config/environments';
import { resolveEnvironments } from './src/infrastructure/config/validate';
import { InfrastructureError } from './src/infrastructure/errors';
import { GracefulShutdownStack } from './src/infrastructure/graceful-shutdown-stack';
import { synthesize } from './src/infrastructure/synthesize';

async function main(): Promise<void> {
  const configs = resolveEnvironments(environments);
  const app = new App();
  for (const config of configs) new GracefulShutdownStack(app, config.name, { config });
  await synthesize(app);
}

main().catch((error: unknown) => {
  if (!(error instanceof InfrastructureError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
});
