/**
 * Seeded Gaussian tensors. tf.randomNormal treats seed 0 as no seed (`seed ? seed : Math.random()`
 * in tfjs-core's rand_util), so `--seed 0`, the default, made weight initialization, PGD's L2
 * start, TRADES' start noise and Hessian probes differ from run to run. Seed 0 goes to tfjs as
 * 0.5, a value no integer seed takes; every other seed passes unchanged.
 */
import * as tf from '@tensorflow/tfjs';

export function tfjsSeed(seed: number): number {
  return seed === 0 ? 0.5 : seed;
}

export function seededNormal<R extends tf.Rank>(shape: number[], mean: number, stdDev: number, seed: number): tf.Tensor<R> {
  return tf.randomNormal(shape as tf.ShapeMap[R], mean, stdDev, 'float32', tfjsSeed(seed));
}
