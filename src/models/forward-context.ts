/**
 * The layers the reference architectures are made of, reading tensors by PyTorch name from the
 * model's weights, and collecting updated BatchNorm statistics in training mode.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '../backend/batch-norm-train.ts';
import { WeightscapeError } from '../errors.ts';
import type { ForwardOptions, InputNormalization, ModelWeights, TensorMap } from './types.ts';

/** PyTorch's BatchNorm2d defaults. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

export class ForwardContext {
  readonly newState: TensorMap = {};
  private dropoutCount = 0;

  constructor(private readonly weights: ModelWeights, private readonly options: ForwardOptions) {}

  private tensor(name: string, from: 'params' | 'state'): tf.Tensor {
    const t = this.weights[from][name];
    if (t === undefined) throw new WeightscapeError('shape-mismatch', `model tensor '${name}' is missing`);
    return t;
  }

  /** A PyTorch Conv2d with symmetric zero padding (plain conv2d + add: fused conv has no WASM gradient). */
  conv(prefix: string, x: tf.Tensor4D, stride: number, padding: number, bias = false): tf.Tensor4D {
    const pad = padding === 0 ? 'valid' : ([[0, 0], [padding, padding], [padding, padding], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]);
    const y = tf.conv2d(x, this.tensor(`${prefix}.weight`, 'params') as tf.Tensor4D, stride, pad);
    return bias ? tf.add(y, this.tensor(`${prefix}.bias`, 'params')) : y;
  }

  /** A PyTorch Linear (weight stored in×out here). */
  linear(prefix: string, x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.tensor(`${prefix}.weight`, 'params') as tf.Tensor2D), this.tensor(`${prefix}.bias`, 'params'));
  }

  /**
   * BatchNorm2d: batch statistics in training (running statistics updated as PyTorch does:
   * r ← (1 − m)·r + m·batch, with the unbiased batch variance), running statistics in eval.
   */
  batchNorm(prefix: string, x: tf.Tensor4D): tf.Tensor4D {
    const gamma = this.tensor(`${prefix}.weight`, 'params');
    const beta = this.tensor(`${prefix}.bias`, 'params');
    const runningMean = this.tensor(`${prefix}.running_mean`, 'state');
    const runningVar = this.tensor(`${prefix}.running_var`, 'state');
    if (!this.options.training) return tf.batchNorm(x, runningMean, runningVar, beta, gamma, BN_EPSILON) as tf.Tensor4D;
    const count = x.size / x.shape[3];
    // The new statistics never reach the loss, so no gradient flows through them.
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, BN_EPSILON);
    const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
    const cumulative = this.options.bnCumulativeCount;
    const momentum = cumulative === undefined ? BN_MOMENTUM : 1 / (cumulative + 1);
    this.newState[`${prefix}.running_mean`] = tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum));
    this.newState[`${prefix}.running_var`] = tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum));
    const tracked = this.weights.state[`${prefix}.num_batches_tracked`];
    if (tracked !== undefined) this.newState[`${prefix}.num_batches_tracked`] = tf.add(tracked, 1);
    return y as tf.Tensor4D;
  }

  /** Inverted dropout in training mode (a no-op in eval and at rate 0). */
  dropout<T extends tf.Tensor>(x: T, rate: number): T {
    if (!this.options.training || rate === 0) return x;
    const seed = (this.options.seed ?? 0) * 1000 + this.dropoutCount++;
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), rate), 'float32');
    return tf.mul(x, tf.div(keep, 1 - rate)) as T;
  }

  /** The state to hand back: updated statistics in training, the inputs' own in eval. */
  resultState(): TensorMap {
    return this.options.training ? this.newState : this.weights.state;
  }
}

/** x.view(N, −1) of PyTorch's NCHW tensor, from our NHWC one. */
export function flattenLikeTorch(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(h * w === 1 ? x : tf.transpose(x, [0, 3, 1, 2]), [n, h * w * c]) as tf.Tensor2D;
}

/** (x − mean)/std per channel, or x itself without normalization. */
export function normalizeInput(x: tf.Tensor4D, normalization: InputNormalization | undefined): tf.Tensor4D {
  if (normalization === undefined) return x;
  return tf.div(tf.sub(x, tf.tensor1d(normalization.mean)), tf.tensor1d(normalization.std));
}
