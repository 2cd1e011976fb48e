// function.runtime: the Lambda runtime of the function and of its layer, and
// the Node the build targets.
import { environments } from '../../src/infrastructure/config/environments';
import { esbuildNodeTarget } from '../../src/infrastructure/config/node-target';
import { resolveEnvironments } from '../../src/infrastructure/config/validate';
import { DEV_INPUT, onlyResource, synthEnvironment, configIssues } from './support';

describe('function.runtime', () => {
  it('defaults to nodejs24.x for the function and the layer', () => {
    const { tf } = synthEnvironment('dev', DEV_INPUT);
    expect(onlyResource(tf, 'aws_lambda_function').runtime).toBe('nodejs24.x');
    expect(onlyResource(tf, 'aws_lambda_layer_version').compatible_runtimes).toEqual(['nodejs24.x']);
  });

  it('needs hashicorp/aws 6.19.0 on nodejs24.x (5.x refuses the value) and keeps the 5.100.0 floor on nodejs22.x', () => {
    expect(synthEnvironment('dev', DEV_INPUT).tf.terraform.required_providers.aws.version).toBe('>= 6.19.0, < 7.0.0');
    expect(synthEnvironment('dev', { ...DEV_INPUT, function: { runtime: 'nodejs22.x' } }).tf.terraform.required_providers.aws.version)
      .toBe('>= 5.100.0, < 7.0.0');
  });

  it('accepts nodejs22.x, and the layer declares the same runtime', () => {
    const { tf } = synthEnvironment('dev', { ...DEV_INPUT, function: { runtime: 'nodejs22.x' } });
    expect(onlyResource(tf, 'aws_lambda_function').runtime).toBe('nodejs22.x');
    expect(onlyResource(tf, 'aws_lambda_layer_version').compatible_runtimes).toEqual(['nodejs22.x']);
  });

  it.each(['nodejs20.x', 'nodejs24', 'python3.13', ''])('refuses %j, naming the field and the accepted values', (runtime) => {
    expect(configIssues({ dev: { ...DEV_INPUT, function: { runtime: runtime as 'nodejs24.x' } } })).toEqual([
      `environments.dev.function.runtime: must be one of "nodejs24.x", "nodejs22.x", got ${JSON.stringify(runtime)}`,
    ]);
  });

  it('gives every repository environment nodejs24.x', () => {
    expect(resolveEnvironments(environments).map((e) => [e.name, e.function.runtime])).toEqual([
      ['dev', 'nodejs24.x'], ['prod', 'nodejs24.x'], ['steady', 'nodejs24.x'],
    ]);
  });
});

describe('the build target', () => {
  it('is node24 when every environment runs nodejs24.x', () => {
    expect(esbuildNodeTarget({ a: DEV_INPUT, b: { ...DEV_INPUT, function: { runtime: 'nodejs24.x' } } })).toBe('node24');
  });

  it('is the lowest Node among the environments, since one bundle serves them all', () => {
    expect(esbuildNodeTarget({ a: DEV_INPUT, b: { ...DEV_INPUT, function: { runtime: 'nodejs22.x' } } })).toBe('node22');
  });

  it('leaves an unknown runtime to the synth, which refuses it', () => {
    expect(esbuildNodeTarget({ a: DEV_INPUT, b: { ...DEV_INPUT, function: { runtime: 'nodejs20.x' as 'nodejs24.x' } } })).toBe('node24');
  });

  it('is node24 for the repository environments', () => {
    expect(esbuildNodeTarget()).toBe('node24');
  });
});
