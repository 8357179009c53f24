/**
 * The layer vocabulary on dual values (a tensor and its tangent along the parameter direction v):
 * one pass gives the logits z and ż = ∂z/∂θ·v (forward mode, each layer with its tangent rule).
 * tfjs has no forward mode, and its gradients of gradients stop at the WASM gradient kernels, so
 * the tfjs engine gets exact Hessian-vector products as the reverse-mode gradient of the
 * directional derivative ⟨∇L, v⟩ computed by this pass (reverse-over-forward), which only needs
 * the first-order gradients every op has. Selections are held fixed: ReLU's mask by tf.step
 * (whose gradient is 0) and max-pooling's first-max mask, recorded by a primal pass first.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layers } from './layers.ts';
import {
  avgPoolLikeTorch,
  BN_EPSILON,
  clipLikeTorch,
  dropoutMask,
  dropoutSeed,
  flattenLikeTorch,
  insideMask,
  maxPoolLikeTorch,
  normalizeInput,
} from './forward-context.ts';
import { convLikeTorch } from './grouped-convolution.ts';
import { firstMaximumMasks, gatherAtMasks } from './pool-windows.ts';
import type { ForwardOptions, InputNormalization, ModelWeights, TensorMap } from './types.ts';

/** A value and its tangent (undefined where it does not vary with the parameters' direction). */
export interface Dual {
  value: tf.Tensor;
  tangent: tf.Tensor | undefined;
}

/** Max-pooling masks: computed by the primal pass ('record'), read in order by the dual pass. */
export interface PoolMasks {
  mode: 'record' | 'replay';
  masks: tf.Tensor[];
}

const sum = (terms: Array<tf.Tensor | undefined>): tf.Tensor | undefined => {
  const present = terms.filter((t): t is tf.Tensor => t !== undefined);
  // Broadcasting adds: a bias tangent is per channel.
  return present.length === 0 ? undefined : present.reduce((acc, t) => tf.add(acc, t));
};

export class TangentContext implements Layers<Dual> {
  private dropoutCount = 0;
  private poolCount = 0;

  /** `direction`: v by parameter name; undefined for the primal pass that records pool masks. */
  constructor(
    private readonly weights: ModelWeights,
    private readonly direction: TensorMap | undefined,
    private readonly options: ForwardOptions,
    private readonly pool: PoolMasks,
  ) {}

  private param(name: string): { value: tf.Tensor; tangent: tf.Tensor | undefined } {
    const value = this.weights.params[name];
    if (value === undefined) throw new Error(`model tensor '${name}' is missing`);
    return { value, tangent: this.direction?.[name] };
  }

  private state(name: string): tf.Tensor {
    const t = this.weights.state[name];
    if (t === undefined) throw new Error(`model tensor '${name}' is missing`);
    return t;
  }

  normalizeInput(x: Dual, normalization: InputNormalization | undefined): Dual {
    if (normalization === undefined) return x;
    return {
      value: normalizeInput(x.value as tf.Tensor4D, normalization),
      tangent: x.tangent && tf.div(x.tangent, tf.tensor1d(normalization.std)),
    };
  }

  conv(prefix: string, x: Dual, stride: number, padding: number, bias = false, groups = 1): Dual {
    const w = this.param(`${prefix}.weight`);
    const b = bias ? this.param(`${prefix}.bias`) : undefined;
    const conv = (input: tf.Tensor, filter: tf.Tensor) => convLikeTorch(input, filter, stride, padding, groups);
    const y = conv(x.value, w.value);
    return {
      value: b === undefined ? y : tf.add(y, b.value),
      tangent: sum([x.tangent && conv(x.tangent, w.value), w.tangent && conv(x.value, w.tangent), b?.tangent]),
    };
  }

  linear(prefix: string, x: Dual, bias = true): Dual {
    const w = this.param(`${prefix}.weight`);
    const b = bias ? this.param(`${prefix}.bias`) : undefined;
    const matMul = (a: tf.Tensor, m: tf.Tensor) => tf.matMul(a as tf.Tensor2D, m as tf.Tensor2D);
    const y = matMul(x.value, w.value);
    return {
      value: b === undefined ? y : tf.add(y, b.value),
      tangent: sum([x.tangent && matMul(x.tangent, w.value), w.tangent && matMul(x.value, w.tangent), b?.tangent]),
    };
  }

  /**
   * Eval: y = γ·x̂ + β with x̂ = (x − μ)·r and the running μ, r = 1/√(σ² + ε), so ẏ = γr·ẋ + γ̇·x̂ + β̇.
   * Training (the batch's μ, σ², which move with x): ẏ = γr·(ẋ − mean ẋ − x̂·mean(x̂·ẋ)) + γ̇·x̂ + β̇.
   */
  batchNorm(prefix: string, x: Dual): Dual {
    const gamma = this.param(`${prefix}.weight`);
    const beta = this.param(`${prefix}.bias`);
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (this.options.training) ({ mean, variance } = tf.moments(x.value, [0, 1, 2]));
    else [mean, variance] = [this.state(`${prefix}.running_mean`), this.state(`${prefix}.running_var`)];
    const r = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const xHat = tf.mul(tf.sub(x.value, mean), r);
    const gammaR = tf.mul(gamma.value, r);
    let dx = x.tangent;
    if (dx !== undefined && this.options.training) {
      const channelMean = (t: tf.Tensor) => tf.mean(t, [0, 1, 2]);
      dx = tf.sub(tf.sub(dx, channelMean(dx)), tf.mul(xHat, channelMean(tf.mul(xHat, dx))));
    }
    return {
      value: tf.add(tf.mul(xHat, gamma.value), beta.value),
      tangent: sum([dx && tf.mul(dx, gammaR), gamma.tangent && tf.mul(xHat, gamma.tangent), beta.tangent]),
    };
  }

  dropout(x: Dual, rate: number): Dual {
    if (!this.options.training || rate === 0) return x;
    const mask = dropoutMask(x.value.shape, rate, dropoutSeed(this.options.seed, this.dropoutCount++));
    return { value: tf.mul(x.value, mask), tangent: x.tangent && tf.mul(x.tangent, mask) };
  }

  relu(x: Dual): Dual {
    return { value: tf.relu(x.value), tangent: x.tangent && tf.mul(x.tangent, tf.step(x.value)) };
  }

  /**
   * ẏ = the tangent at each window's first maximum (as PyTorch and the gradient kernels choose).
   * Windows that tile the input: through the gradient's mask of winners, one pooling pass; other
   * windows (overlapping, padded) may share a winner, so the tangent is gathered per window.
   */
  maxPool(x: Dual, size: number, stride = size, padding = 0): Dual {
    const value = maxPoolLikeTorch(x.value, size, stride, padding);
    const tiled = stride === size && padding === 0;
    let mask: tf.Tensor;
    if (this.pool.mode === 'record') {
      mask = tf.keep(
        tiled
          ? tf.grad((input: tf.Tensor) => tf.sum(tf.maxPool(input as tf.Tensor4D, size, size, 'valid')))(x.value)
          : firstMaximumMasks(x.value as tf.Tensor4D, size, stride, padding),
      );
      this.pool.masks.push(mask);
    } else {
      const recorded = this.pool.masks[this.poolCount++];
      if (recorded === undefined) throw new Error('tangent context: a max-pooling mask was not recorded');
      mask = recorded;
    }
    if (x.tangent === undefined) return { value, tangent: undefined };
    const tangent = tiled
      ? tf.mul(tf.avgPool(tf.mul(x.tangent, mask) as tf.Tensor4D, size, size, 'valid'), size * size)
      : gatherAtMasks(x.tangent as tf.Tensor4D, mask, size, stride, padding);
    return { value, tangent };
  }

  avgPool(x: Dual, size: number, stride = size, padding = 0): Dual {
    const pool = (t: tf.Tensor) => avgPoolLikeTorch(t, size, stride, padding);
    return { value: pool(x.value), tangent: x.tangent && pool(x.tangent) };
  }

  globalAvgPool(x: Dual): Dual {
    const mean = (t: tf.Tensor) => tf.mean(t, [1, 2], true);
    return { value: mean(x.value), tangent: x.tangent && mean(x.tangent) };
  }

  /** ẏ = ẋ for x > 0, alpha·ẋ otherwise (alpha at 0, PyTorch's gradient there). */
  leakyRelu(x: Dual, alpha: number): Dual {
    const slope = (v: tf.Tensor) => tf.add(tf.mul(tf.step(v), 1 - alpha), alpha);
    return { value: tf.leakyRelu(x.value, alpha), tangent: x.tangent && tf.mul(x.tangent, slope(x.value)) };
  }

  /** ẏ = ẋ strictly between the bounds, 0 at and past them (hardtanh's gradient). */
  clip(x: Dual, min: number, max: number): Dual {
    return {
      value: clipLikeTorch(x.value, min, max),
      tangent: x.tangent && tf.mul(x.tangent, insideMask(x.value, min, max)),
    };
  }

  /** ẏ = y·(1 − y)·ẋ. */
  sigmoid(x: Dual): Dual {
    const y = tf.sigmoid(x.value);
    return { value: y, tangent: x.tangent && tf.mul(x.tangent, tf.mul(y, tf.sub(1, y))) };
  }

  mul(a: Dual, b: Dual): Dual {
    return {
      value: tf.mul(a.value, b.value),
      tangent: sum([a.tangent && tf.mul(a.tangent, b.value), b.tangent && tf.mul(a.value, b.tangent)]),
    };
  }

  /** The tangents side by side, zeros for the parts that do not vary. */
  concat(xs: Dual[]): Dual {
    const value = tf.concat(
      xs.map((x) => x.value),
      -1,
    );
    if (xs.every((x) => x.tangent === undefined)) return { value, tangent: undefined };
    return {
      value,
      tangent: tf.concat(
        xs.map((x) => x.tangent ?? tf.zerosLike(x.value)),
        -1,
      ),
    };
  }

  add(a: Dual, b: Dual): Dual {
    return { value: tf.add(a.value, b.value), tangent: sum([a.tangent, b.tangent]) };
  }

  flatten(x: Dual): Dual {
    const flat = (t: tf.Tensor) => flattenLikeTorch(t as tf.Tensor4D);
    return { value: flat(x.value), tangent: x.tangent && flat(x.tangent) };
  }
}
