/**
 * The layers the reference architectures are made of, reading tensors by PyTorch name from the
 * model's weights, and collecting updated BatchNorm statistics in training mode.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '../backend/batch-norm-train.ts';
import { WeightscapeError } from '../errors.ts';
import { convLikeTorch } from './grouped-convolution.ts';
import type { Layers } from './layers.ts';
import type {
  Architecture,
  ForwardOptions,
  ForwardResult,
  InputNormalization,
  ModelConfig,
  ModelWeights,
  TensorMap,
} from './types.ts';

/** PyTorch's BatchNorm2d defaults. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

export class ForwardContext implements Layers<tf.Tensor> {
  readonly newState: TensorMap = {};
  private dropoutCount = 0;

  constructor(
    private readonly weights: ModelWeights,
    private readonly options: ForwardOptions,
  ) {}

  private tensor(name: string, from: 'params' | 'state'): tf.Tensor {
    const t = this.weights[from][name];
    if (t === undefined) throw new WeightscapeError('shape-mismatch', `model tensor '${name}' is missing`);
    return t;
  }

  /** A PyTorch Conv2d with symmetric zero padding (plain conv2d + add: fused conv has no WASM gradient). */
  conv(prefix: string, x: tf.Tensor, stride: number, padding: number, bias = false, groups = 1): tf.Tensor4D {
    const y = convLikeTorch(x, this.tensor(`${prefix}.weight`, 'params'), stride, padding, groups);
    return bias ? tf.add(y, this.tensor(`${prefix}.bias`, 'params')) : y;
  }

  /** A PyTorch Linear (weight stored in×out here). */
  linear(prefix: string, x: tf.Tensor, bias = true): tf.Tensor2D {
    const y = tf.matMul(x as tf.Tensor2D, this.tensor(`${prefix}.weight`, 'params') as tf.Tensor2D) as tf.Tensor2D;
    return bias ? tf.add(y, this.tensor(`${prefix}.bias`, 'params')) : y;
  }

  /**
   * BatchNorm2d: batch statistics in training (running statistics updated as PyTorch does:
   * r ← (1 − m)·r + m·batch, with the unbiased batch variance), running statistics in eval.
   */
  batchNorm(prefix: string, x: tf.Tensor): tf.Tensor4D {
    const gamma = this.tensor(`${prefix}.weight`, 'params');
    const beta = this.tensor(`${prefix}.bias`, 'params');
    const runningMean = this.tensor(`${prefix}.running_mean`, 'state');
    const runningVar = this.tensor(`${prefix}.running_var`, 'state');
    if (!this.options.training)
      return tf.batchNorm(x as tf.Tensor4D, runningMean, runningVar, beta, gamma, BN_EPSILON) as tf.Tensor4D;
    // The new statistics never reach the loss, so no gradient flows through them.
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, BN_EPSILON);
    Object.assign(
      this.newState,
      updatedRunningStatistics(
        prefix,
        this.weights.state,
        { mean, variance, count: x.size / x.shape[3]! },
        this.options.bnCumulativeCount,
      ),
    );
    return y as tf.Tensor4D;
  }

  /** Inverted dropout in training mode (a no-op in eval and at rate 0). */
  dropout<T extends tf.Tensor>(x: T, rate: number): T {
    if (!this.options.training || rate === 0) return x;
    return tf.mul(x, dropoutMask(x.shape, rate, dropoutSeed(this.options.seed, this.dropoutCount++))) as T;
  }

  relu(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  maxPool(x: tf.Tensor, size: number, stride = size, padding = 0): tf.Tensor {
    return maxPoolLikeTorch(x, size, stride, padding);
  }

  avgPool(x: tf.Tensor, size: number, stride = size, padding = 0): tf.Tensor {
    return avgPoolLikeTorch(x, size, stride, padding);
  }

  globalAvgPool(x: tf.Tensor): tf.Tensor {
    return tf.mean(x, [1, 2], true);
  }

  leakyRelu(x: tf.Tensor, alpha: number): tf.Tensor {
    return tf.leakyRelu(x, alpha);
  }

  clip(x: tf.Tensor, min: number, max: number): tf.Tensor {
    return clipLikeTorch(x, min, max);
  }

  sigmoid(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x);
  }

  mul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.mul(a, b);
  }

  concat(xs: tf.Tensor[]): tf.Tensor {
    return tf.concat(xs, -1);
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }

  flatten(x: tf.Tensor): tf.Tensor {
    return flattenLikeTorch(x as tf.Tensor4D);
  }

  normalizeInput(x: tf.Tensor, normalization: InputNormalization | undefined): tf.Tensor {
    return normalizeInput(x as tf.Tensor4D, normalization);
  }

  /** The state to hand back: updated statistics in training, the inputs' own in eval. */
  resultState(): TensorMap {
    return this.options.training ? this.newState : this.weights.state;
  }
}

/** PyTorch's max_pool2d (floor rounding): tfjs's numeric padding is ignored by the maximum, as PyTorch's −∞. */
export function maxPoolLikeTorch(x: tf.Tensor, size: number, stride: number, padding: number): tf.Tensor4D {
  return tf.maxPool(x as tf.Tensor4D, size, stride, padding === 0 ? 'valid' : padding);
}

/**
 * PyTorch's avg_pool2d with count_include_pad: the zeros padded explicitly (tfjs's own padding
 * leaves them out of the mean).
 */
export function avgPoolLikeTorch(x: tf.Tensor, size: number, stride: number, padding: number): tf.Tensor4D {
  const padded =
    padding === 0
      ? (x as tf.Tensor4D)
      : tf.pad(x as tf.Tensor4D, [
          [0, 0],
          [padding, padding],
          [padding, padding],
          [0, 0],
        ]);
  return tf.avgPool(padded, size, stride, 'valid');
}

/** 1 strictly between the bounds, 0 at and past them; its own gradient is 0 (tf.step's). */
export function insideMask(x: tf.Tensor, min: number, max: number): tf.Tensor {
  return tf.mul(tf.step(tf.sub(x, min)), tf.step(tf.sub(max, x)));
}

/**
 * PyTorch's hardtanh: clip's values with the gradient 0 at the bounds (tfjs's clipByValue passes
 * it there, as torch.clamp does; ReLU6, exported to ONNX as Clip, is hardtanh).
 */
export function clipLikeTorch(x: tf.Tensor, min: number, max: number): tf.Tensor {
  const clip = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.clipByValue(input, min, max),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, insideMask(saved!, min, max)),
    };
  });
  return clip(x);
}

/** The seed of a forward pass's n-th dropout layer. */
export function dropoutSeed(forwardSeed: number | undefined, index: number): number {
  return (forwardSeed ?? 0) * 1000 + index;
}

/** Inverted dropout's multiplier: keep/(1 − rate) per element, keep drawn uniformly with the seed. */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  return tf.tidy(() =>
    tf.div(tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), rate), 'float32'), 1 - rate),
  );
}

/**
 * A BatchNorm layer's running statistics after one training batch, as PyTorch updates them:
 * r ← (1 − m)·r + m·batch with the unbiased batch variance, and num_batches_tracked + 1 (or,
 * for recalibration, the cumulative average: m = 1/(count + 1)).
 */
export function updatedRunningStatistics(
  prefix: string,
  state: TensorMap,
  batch: { mean: tf.Tensor; variance: tf.Tensor; count: number },
  cumulativeCount: number | undefined,
): TensorMap {
  const runningMean = state[`${prefix}.running_mean`]!;
  const runningVar = state[`${prefix}.running_var`]!;
  const unbiased = tf.mul(batch.variance, batch.count / Math.max(batch.count - 1, 1));
  const momentum = cumulativeCount === undefined ? BN_MOMENTUM : 1 / (cumulativeCount + 1);
  const out: TensorMap = {
    [`${prefix}.running_mean`]: tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(batch.mean, momentum)),
    [`${prefix}.running_var`]: tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum)),
  };
  const tracked = state[`${prefix}.num_batches_tracked`];
  if (tracked !== undefined) out[`${prefix}.num_batches_tracked`] = tf.add(tracked, 1);
  return out;
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

/** An architecture's network run on tfjs tensors: the logits and (in training) the new BatchNorm state. */
export function runNetwork<Options>(
  arch: Pick<Architecture<Options>, 'network'>,
  weights: ModelWeights,
  x: tf.Tensor4D,
  config: ModelConfig<Options>,
  options: ForwardOptions,
): ForwardResult {
  const net = new ForwardContext(weights, options);
  return { logits: arch.network<tf.Tensor>(net, x, config) as tf.Tensor2D, state: net.resultState() };
}
