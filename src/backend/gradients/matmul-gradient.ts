/**
 * BatchMatMul gradients without transpose flags: on WASM a matMul with transposeA or transposeB
 * runs many times slower than an explicit transpose followed by a plain matMul
 * (docs/engine-notes.md).
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';

/** Swaps the last two axes. */
function swapLastAxes(t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  const last = perm.length - 1;
  [perm[last - 1], perm[last]] = [perm[last]!, perm[last - 1]!];
  return tf.transpose(t, perm);
}

/** a·b with both operands already laid out; the only matMul these gradients call. */
function plainMatMul(a: Tensor, b: Tensor): Tensor {
  return tf.matMul(a, b, false, false);
}

/**
 * Gradients of y = op(a)·op(b), op = transpose when the flag is set:
 * ∂a = dy·op(b)ᵀ (transposed back when transposeA), ∂b = op(a)ᵀ·dy (likewise).
 */
export function matMulGradients(
  a: Tensor,
  b: Tensor,
  dy: Tensor,
  transposeA: boolean,
  transposeB: boolean,
): { a: () => Tensor; b: () => Tensor } {
  if (!transposeA && !transposeB) {
    return { a: () => plainMatMul(dy, swapLastAxes(b)), b: () => plainMatMul(swapLastAxes(a), dy) };
  }
  if (!transposeA && transposeB) {
    return { a: () => plainMatMul(dy, b), b: () => plainMatMul(swapLastAxes(dy), a) };
  }
  if (transposeA && !transposeB) {
    return { a: () => plainMatMul(b, swapLastAxes(dy)), b: () => plainMatMul(a, dy) };
  }
  return { a: () => swapLastAxes(plainMatMul(dy, b)), b: () => swapLastAxes(plainMatMul(a, dy)) };
}

/** Replaces the BatchMatMul gradient when both operands have the same batch shape; else `fallback`. */
export function matMulGradConfig(fallback: GradConfig | undefined): GradConfig {
  return {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [a, b] = saved as [Tensor, Tensor];
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      const sameBatch = a.rank === b.rank && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
      if (!sameBatch) {
        if (fallback === undefined) throw new Error('matMul gradient: broadcast batch dimensions have no default');
        return fallback.gradFunc(dy, saved, attrs);
      }
      return matMulGradients(a, b, dy as Tensor, transposeA, transposeB);
    },
  };
}
