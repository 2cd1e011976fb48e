// The CDKTF app, wired once: every environment validated before the first
// construct exists (a bad config fails here and writes nothing), then one
// stack per environment. main.ts (the app cdktf.json runs), `npm run synth`
// and the bench's baseline all build it here.
import { App } from './cdk';
import { environments as repositoryEnvironments } from './config/environments';
import type { EnvironmentsInput } from './config/types';
import { resolveEnvironments } from './config/validate';
import { GracefulShutdownStack } from './graceful-shutdown-stack';

export interface BuildAppOptions {
  /** Default: CDKTF's own (cdktf.json's `output`, or what the CLI passes). */
  outdir?: string;
  hclOutput?: boolean;
  /** Default: the repository's environments. */
  environments?: EnvironmentsInput;
  /** Build directories (tests use fixtures); default dist/. */
  handlerDir?: string;
  layerDir?: string;
}

export interface BuiltApp {
  readonly app: App;
  readonly stacks: readonly GracefulShutdownStack[];
}

export function buildApp(options: BuildAppOptions = {}): BuiltApp {
  // Throws a ConfigError naming every bad field before anything is created.
  const configs = resolveEnvironments(options.environments ?? repositoryEnvironments);
  const app = new App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    ...(options.hclOutput === undefined ? {} : { hclOutput: options.hclOutput }),
  });
  const stacks = configs.map((config) => new GracefulShutdownStack(app, config.name, {
    config,
    ...(options.handlerDir ? { handlerDir: options.handlerDir } : {}),
    ...(options.layerDir ? { layerDir: options.layerDir } : {}),
  }));
  return { app, stacks };
}
