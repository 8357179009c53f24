/**
 * PyTorch ↔ tfjs parameter layouts, by tensor role: convolution filters are OIHW in PyTorch and
 * HWIO in tfjs, linear weights out×in and in×out; every other tensor is the same in both.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorRole } from './types.ts';

/** OIHW → HWIO. */
const TO_HWIO = [2, 3, 1, 0];
/** HWIO → OIHW (TO_HWIO's inverse). */
const TO_OIHW = [3, 2, 0, 1];

/** The permutation from one layout to the other, or undefined when the role keeps its layout. */
function permutation(role: TensorRole, rank: number, toTfjs: boolean): number[] | undefined {
  if (role === 'conv-weight') {
    if (rank !== 4) throw new Error(`a convolution weight has rank 4, not ${rank}`);
    return toTfjs ? TO_HWIO : TO_OIHW;
  }
  if (role === 'linear-weight') {
    if (rank !== 2) throw new Error(`a linear weight has rank 2, not ${rank}`);
    return [1, 0];
  }
  return undefined;
}

/** The shape a tensor of this role has in tfjs, given its PyTorch shape. */
export function tfjsShape(pytorchShape: number[], role: TensorRole): number[] {
  const perm = permutation(role, pytorchShape.length, true);
  return perm === undefined ? [...pytorchShape] : perm.map((axis) => pytorchShape[axis]!);
}

/** A PyTorch-layout tensor in tfjs's layout: a new tensor the caller owns (the input is kept). */
export function toTfjsLayout(t: tf.Tensor, role: TensorRole): tf.Tensor {
  const perm = permutation(role, t.rank, true);
  return perm === undefined ? tf.clone(t) : tf.transpose(t, perm);
}

/** A tfjs-layout tensor in PyTorch's layout: a new tensor the caller owns (the input is kept). */
export function toPytorchLayout(t: tf.Tensor, role: TensorRole): tf.Tensor {
  const perm = permutation(role, t.rank, false);
  return perm === undefined ? tf.clone(t) : tf.transpose(t, perm);
}
