/**
 * BatchNorm as ONNX nodes, its backward pass written once for both layouts. With x̂ = (x − μ)/σ
 * and s = γ/σ: y = γ·x̂ + β; ∂β = Σdy, ∂γ = Σdy·x̂ (sums per channel over N, H, W); ∂x = s·dy
 * with running statistics, and s·(dy − mean(dy) − x̂·mean(dy·x̂)) with the batch's (which depend
 * on x). Each layout evaluates those per-channel steps in its own form (BatchNormLayout).
 */
import { BN_EPSILON } from '../models/forward-context.ts';
import type { GraphBuilder, Value } from './graph-builder.ts';
import type { GradientTape } from './gradient-tape.ts';
import type { NchwcLayout } from './nchwc-layout.ts';

export interface BatchStatistics {
  /** Values per channel the statistics are taken over (N·H·W). */
  count: number;
  mean: Value;
  /** Biased (population) variance of the batch. */
  variance: Value;
}

/** What a BatchNorm layer needs of the graph it is built in. */
export interface BatchNormContext {
  b: GraphBuilder;
  layout: NchwcLayout;
  tape: GradientTape;
  training: boolean;
  tensor(name: string): Value;
  /** Training: keeps a BatchNorm's batch statistics for the caller, by layer prefix. */
  recordStatistics(prefix: string, statistics: BatchStatistics): void;
}

/** The per-channel steps of BatchNorm in one layout (μ, σ² the statistics in use). */
interface BatchNormLayout {
  /** The batch's mean and biased variance per channel ([C]). */
  batchStatistics(x: Value): { mean: Value; variance: Value };
  /** y = γ·x̂ + β. */
  normalize(x: Value, mean: Value, variance: Value): Value;
  /** x̂ = (x − μ)/σ. */
  standardize(x: Value, mean: Value, variance: Value): Value;
  /** s·dy. */
  scaled(dy: Value, variance: Value): Value;
  /** s·(dy − Σdy/count − x̂·Σ(dy·x̂)/count). */
  centeredScaled(dy: Value, xHat: Value, sumDy: Value, sumDyXHat: Value, variance: Value): Value;
}

/** 1/√(variance + ε) per channel. */
function inverseStd(b: GraphBuilder, variance: Value): Value {
  const sqrt = b.node('Sqrt', [b.binary('Add', variance, b.scalar(BN_EPSILON))], {}, variance.shape);
  return b.node('Reciprocal', [sqrt], {}, variance.shape);
}

/** NCHW: ONNX's BatchNormalization, and broadcast arithmetic on [1, C, 1, 1] per-channel values. */
function plainLayout(b: GraphBuilder, gamma: Value, beta: Value, count: number, channels: number): BatchNormLayout {
  const perChannel = (v: Value) => b.reshape(v, [1, channels, 1, 1]);
  const batchNormalization = (x: Value, scale: Value, shift: Value, mean: Value, variance: Value) =>
    b.node('BatchNormalization', [x, scale, shift, mean, variance], { epsilon: { float: BN_EPSILON } }, x.shape);
  const scale = (variance: Value) => perChannel(b.binary('Mul', gamma, inverseStd(b, variance)));
  return {
    batchStatistics(x) {
      const mean4 = b.reduceMean(x, [0, 2, 3], true);
      const centered = b.binary('Sub', x, mean4);
      const sumSquares = b.node('ReduceSumSquare', [centered], { axes: [0, 2, 3], keepdims: 0 }, [channels]);
      return { mean: b.reshape(mean4, [channels]), variance: b.binary('Mul', sumSquares, b.scalar(1 / count)) };
    },
    normalize: (x, mean, variance) => batchNormalization(x, gamma, beta, mean, variance),
    // A unit-scale BatchNormalization (γ may be 0).
    standardize: (x, mean, variance) =>
      batchNormalization(
        x,
        b.floats(new Array(channels).fill(1)),
        b.floats(new Array(channels).fill(0)),
        mean,
        variance,
      ),
    scaled: (dy, variance) => b.binary('Mul', dy, scale(variance)),
    centeredScaled(dy, xHat, sumDy, sumDyXHat, variance) {
      const s = scale(variance);
      const meanDy = perChannel(b.binary('Mul', sumDy, b.scalar(1 / count)));
      const meanDyXHat = perChannel(b.binary('Mul', sumDyXHat, b.scalar(1 / count)));
      return b.binary('Mul', b.binary('Sub', b.binary('Sub', dy, meanDy), b.binary('Mul', xHat, meanDyXHat)), s);
    },
  };
}

/**
 * Blocked NCHWc, kept blocked: each per-channel step is one depthwise NCHWc convolution
 * (NchwcLayout.affine); in training ∂x = s·dy − x̂·s·mean(dy·x̂) − s·mean(dy) is two of them.
 */
function blockedLayout(
  b: GraphBuilder,
  layout: NchwcLayout,
  gamma: Value,
  beta: Value,
  count: number,
): BatchNormLayout {
  const perCount = (v: Value) => b.binary('Mul', v, b.scalar(1 / count));
  const negative = (v: Value) => b.node('Neg', [v], {}, v.shape);
  // 1/σ and s of the statistics in use, made by normalize (which runs first) for the backward pass.
  let invStd: Value;
  let scale: Value;
  return {
    batchStatistics(x) {
      const batchMean = perCount(layout.channelSum(x));
      return {
        mean: batchMean,
        variance: perCount(layout.channelSum(layout.subtractPerChannel(x, batchMean), 'ReduceSumSquare')),
      };
    },
    normalize(x, mean, variance) {
      invStd = inverseStd(b, variance);
      scale = b.binary('Mul', gamma, invStd);
      return layout.affine(x, scale, b.binary('Sub', beta, b.binary('Mul', mean, scale)));
    },
    standardize: (x, mean) => layout.affine(x, invStd, negative(b.binary('Mul', mean, invStd))),
    scaled: (dy) => layout.affine(dy, scale),
    centeredScaled(dy, xHat, sumDy, sumDyXHat) {
      const scaledDy = layout.affine(dy, scale);
      return layout.affine(
        xHat,
        negative(perCount(b.binary('Mul', scale, sumDyXHat))),
        negative(perCount(b.binary('Mul', scale, sumDy))),
        scaledDy,
      );
    },
  };
}

/**
 * BatchNorm of `x` (its layout kept): running statistics in eval mode; in training the batch's,
 * recorded by `c.recordStatistics` for the caller to output.
 */
export function batchNormLayer(c: BatchNormContext, prefix: string, x: Value): Value {
  const { b, layout, tape, training } = c;
  const gamma = c.tensor(`${prefix}.weight`);
  const beta = c.tensor(`${prefix}.bias`);
  const count = x.shape[0]! * x.shape[2]! * x.shape[3]!;
  const form = layout.isBlocked(x)
    ? blockedLayout(b, layout, gamma, beta, count)
    : plainLayout(b, gamma, beta, count, x.shape[1]!);
  let mean: Value;
  let variance: Value;
  if (training) {
    ({ mean, variance } = form.batchStatistics(x));
    c.recordStatistics(prefix, { count, mean, variance });
  } else {
    [mean, variance] = [c.tensor(`${prefix}.running_mean`), c.tensor(`${prefix}.running_var`)];
  }
  const y = form.normalize(x, mean, variance);
  return tape.record([x, gamma, beta], y, (dy) => {
    const needsStatistics = tape.needs(gamma) || training;
    const xHat = needsStatistics ? form.standardize(x, mean, variance) : undefined;
    const dBeta = tape.needs(beta) || training ? layout.channelSum(dy) : undefined;
    const dGamma = needsStatistics ? layout.channelSum(layout.elementwise('Mul', [dy, xHat!], x.shape)) : undefined;
    let dx: Value | undefined;
    if (tape.needs(x))
      dx = training ? form.centeredScaled(dy, xHat!, dBeta!, dGamma!, variance) : form.scaled(dy, variance);
    return [dx, tape.needs(gamma) ? dGamma : undefined, tape.needs(beta) ? dBeta : undefined];
  });
}
