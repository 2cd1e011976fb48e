// esbuild's target for the one dist/ every stack packages: the lowest Node
// among the environments' runtimes, so a bundle built once runs on each of
// them (a `nodejs22.x` environment beside `nodejs24.x` ones gets Node 22
// syntax everywhere). Per-environment bundles would buy nothing measurable:
// the handler uses no syntax that Node 24 adds over 22.
import { DEFAULT_LAMBDA_RUNTIME, isLambdaRuntime, nodeMajorOf } from '../../protocol/lambda-runtime';
import { environments } from './environments';
import type { EnvironmentsInput } from './types';

/** `node24`, or `node22` when any environment runs nodejs22.x. Unknown runtimes are the synth's to refuse, not the build's. */
export function esbuildNodeTarget(inputs: EnvironmentsInput = environments): string {
  const majors = Object.values(inputs)
    .map((input) => input.function?.runtime ?? DEFAULT_LAMBDA_RUNTIME)
    .filter(isLambdaRuntime)
    .map(nodeMajorOf);
  return `node${majors.length > 0 ? Math.min(...majors) : nodeMajorOf(DEFAULT_LAMBDA_RUNTIME)}`;
}
