// The graceful-shutdown extension as a Lambda layer, from dist/layer: Lambda
// mounts it at /opt and starts /opt/extensions/graceful-shutdown. The launcher
// runs the function's own `node`, so one layer serves both architectures. On
// Managed Instances the layer also carries the exec wrapper that makes the
// runtime's main thread load the shutdown coordinator.
import { NameSuffix } from './config/validate-names';
import { LambdaLayerVersion } from '@cdktf/provider-aws/lib/lambda-layer-version';
import { EXEC_WRAPPER_NAME, EXTENSION_NAME, LAYER_DIR } from '../protocol/artifacts';
import type { LambdaRuntime } from '../protocol/lambda-runtime';
import { Construct } from './cdk';
import { ZipAsset } from './zip-asset';

export interface ExtensionLayerProps {
  namePrefix: string;
  /** The function's runtime: the layer declares the one it is deployed with. */
  runtime: LambdaRuntime;
  /** The function runs its runtime through the layer's exec wrapper (Managed Instances): the zip must hold it. */
  requireExecWrapper: boolean;
  /** Defaults to dist/layer. */
  sourceDir?: string;
}

export class ExtensionLayer extends Construct {
  public readonly asset: ZipAsset;
  public readonly layer: LambdaLayerVersion;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: ExtensionLayerProps) {
    super(scope, id);
    this.asset = new ZipAsset(this, 'asset', {
      sourceDir: props.sourceDir ?? LAYER_DIR,
      fileName: 'extension-layer',
      // The launcher, and the directory holding the code it runs (its file name is the build's business).
      requiredFiles: [
        `extensions/${EXTENSION_NAME}`, EXTENSION_NAME,
        ...(props.requireExecWrapper ? [`${EXTENSION_NAME}/${EXEC_WRAPPER_NAME}`] : []),
      ],
    });
    this.layer = new LambdaLayerVersion(this, 'layer', {
      layerName: `${props.namePrefix}${NameSuffix.layer}`,
      description: 'External extension: registers for SHUTDOWN so the runtime gets SIGTERM and can drain its pool',
      filename: this.asset.relativePath,
      sourceCodeHash: this.asset.sourceCodeHash,
      // The function's own: a stack on nodejs24.x already needs the provider that accepts it here.
      compatibleRuntimes: [props.runtime],
      compatibleArchitectures: ['arm64', 'x86_64'],
    });
    this.arn = this.layer.arn;
  }
}
