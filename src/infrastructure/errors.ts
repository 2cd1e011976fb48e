// The infrastructure room's errors. Every error names what it is about, so a
// failed synth says which field, file or resource to look at.

export class InfrastructureError extends Error {
  override readonly name: string = 'InfrastructureError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One bad value: `path` is the dotted field, e.g. `environments.prod.proxy.maxConnectionsPercent`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** The configuration is invalid: every issue of every environment, found before anything is written. */
export class ConfigError extends InfrastructureError {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid infrastructure configuration:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

/** A Terraform version or version constraint that cannot be read (a stack's, the provider mirror's, terraform's own). */
export class VersionError extends InfrastructureError {
  override readonly name = 'VersionError';

  constructor(message: string) {
    super(`versions: ${message}`);
  }
}

/** A build artifact the stack packages (dist/handler, dist/layer) is missing. */
export class ArtifactError extends InfrastructureError {
  override readonly name = 'ArtifactError';
  readonly artifactPath: string;

  constructor(artifactPath: string, message: string, options?: { cause?: unknown }) {
    super(`${artifactPath}: ${message}`, options);
    this.artifactPath = artifactPath;
  }
}
