// The Terraform CLI configuration for one checks run, given to every terraform
// process through TF_CLI_CONFIG_FILE so nothing outside the run's temporary
// directory is read or changed. With a mirror, hashicorp/aws comes only from it
// (Terraform's own provider_installation settings) and anything else from the
// registry; without one, the registry serves everything. One plugin cache for
// the run, so the provider is unpacked or linked once, not once per init.
import { writeFileSync } from 'node:fs';
import { AWS_PROVIDER_ADDRESS, type ProviderMirror } from './discovery';

export function cliConfigText(mirror: ProviderMirror | undefined, pluginCacheDir: string): string {
  const lines = [`plugin_cache_dir = ${JSON.stringify(pluginCacheDir)}`];
  if (mirror) {
    lines.push(
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(mirror.root)}`,
      `    include = [${JSON.stringify(AWS_PROVIDER_ADDRESS)}]`,
      '  }',
      '  direct {',
      `    exclude = [${JSON.stringify(AWS_PROVIDER_ADDRESS)}]`,
      '  }',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

export function writeCliConfig(file: string, mirror: ProviderMirror | undefined, pluginCacheDir: string): void {
  writeFileSync(file, cliConfigText(mirror, pluginCacheDir));
}
