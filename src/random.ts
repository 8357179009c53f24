/**
 * Seeded randomness, in one place: uniforms and shuffles for the choices weightscape makes outside
 * tfjs (subsets, shuffles, resampling), and Gaussian tensors for the ones inside it (weight
 * initialization, attack starts, random directions, Hessian probes).
 */
import * as tf from '@tensorflow/tfjs';

/** mulberry32: a small, fast 32-bit generator; returns uniforms in [0, 1). */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy, driven by `uniform`. */
export function shuffled<T>(items: readonly T[], uniform: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The seed tfjs gets for a weightscape seed. tf.randomNormal treats seed 0 as no seed
 * (`seed ? seed : Math.random()` in tfjs-core's rand_util), so `--seed 0`, the default, made weight
 * initialization, PGD's L2 start, TRADES' start noise and Hessian probes differ from run to run.
 * Seed 0 goes to tfjs as 0.5, a value no integer seed takes; every other seed passes unchanged.
 */
function tfjsSeed(seed: number): number {
  return seed === 0 ? 0.5 : seed;
}

/** A seeded Gaussian tensor (float32), the same for the same seed on every run. */
export function seededNormal<R extends tf.Rank>(
  shape: number[],
  mean: number,
  stdDev: number,
  seed: number,
): tf.Tensor<R> {
  return tf.randomNormal(shape as tf.ShapeMap[R], mean, stdDev, 'float32', tfjsSeed(seed));
}

/** A seeded uniform tensor on [min, max) (float32), the same for the same seed on every run. */
export function seededUniformTensor<R extends tf.Rank>(
  shape: number[],
  min: number,
  max: number,
  seed: number,
): tf.Tensor<R> {
  return tf.randomUniform(shape as tf.ShapeMap[R], min, max, 'float32', tfjsSeed(seed));
}
