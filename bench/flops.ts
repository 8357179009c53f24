/**
 * Floating-point operations of a workload, counted from the convolutions and matrix products it
 * actually runs (tf.profile lists every kernel with its shapes). weightscape writes its gradients
 * as forward convolutions and matMuls, so this covers the backward passes too. Element-wise work
 * is left out, as GFLOP/s figures usually do.
 */
import * as tf from '@tensorflow/tfjs';

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** 2 × multiply-adds of one kernel call; 0 for kernels that are not convolutions or products. */
export function kernelFlops(
  name: string,
  inputShapes: readonly (readonly number[] | undefined)[],
  outputShapes: readonly (readonly number[] | undefined)[],
): number {
  const output = outputShapes[0];
  if (output === undefined) return 0;
  if (name === 'Conv2D' || name === 'FusedConv2D') {
    const filter = inputShapes[1]!; // [kh, kw, in, out]
    return 2 * product(output) * filter[0]! * filter[1]! * filter[2]!;
  }
  if (name === 'BatchMatMul' || name === '_FusedMatMul') {
    // A holds batch·M·K values and the output batch·M·N, whichever operand is transposed.
    const k = (product(inputShapes[0]!) * output[output.length - 1]!) / product(output);
    return 2 * product(output) * k;
  }
  return 0;
}

/** FLOPs of one run of `work` (which must not return tensors it keeps). */
export async function countFlops(work: () => void): Promise<number> {
  const info = await tf.profile(() => {
    work();
  });
  return info.kernels.reduce((total, k) => total + kernelFlops(k.name, k.inputShapes, k.outputShapes), 0);
}
