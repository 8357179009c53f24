/**
 * The layer vocabulary as ONNX nodes (NCHW, or onnxruntime's blocked NCHWc from a blocked
 * convolution on: see nchwc-layout.ts), with a reverse-mode tape: every layer records how to turn
 * its output gradient into its inputs' gradients, emitted as more ONNX nodes. Only values that
 * depend on a differentiated input get gradients; a gradient has its value's layout. Weights
 * arrive in tfjs layout (HWIO convolutions, in×out linear) as graph inputs named by their PyTorch
 * names.
 */
import { BN_EPSILON } from '../models/forward-context.ts';
import type { Layers } from '../models/layers.ts';
import type { InputNormalization } from '../models/types.ts';
import { flippedFilter, forwardFilter, type ConvFilter } from './conv-filter.ts';
import { broadcastShape, type GraphBuilder, type Value } from './graph-builder.ts';
import { NCHWC_DOMAIN, NchwcLayout } from './nchwc-layout.ts';

type Backward = (dy: Value) => Array<Value | undefined>;

/** Output pixels per image up to which a convolution runs as one batched matrix product. */
const SMALL_IMAGE_PIXELS = 16;

interface TapeEntry {
  inputs: Value[];
  output: Value;
  backward: Backward;
}

export interface GraphLayerOptions {
  training: boolean;
  /** Graph inputs by PyTorch name: trainable parameters and BatchNorm running statistics. */
  tensors: Record<string, Value>;
  /**
   * onnxruntime's NCHWc channel block (8 with AVX2, 16 with AVX-512), when it has one: convolutions
   * and what lies between them then run in its blocked layout. Its graph optimizer only does that
   * for constant filters.
   */
  nchwcBlock?: number;
}

export interface BatchStatistics {
  /** Values per channel the statistics are taken over (N·H·W). */
  count: number;
  mean: Value;
  /** Biased (population) variance of the batch. */
  variance: Value;
}

export class GraphLayers implements Layers<Value> {
  private readonly tape: TapeEntry[] = [];
  private readonly differentiable = new Set<string>();
  /** Training: each BatchNorm's batch statistics, by layer prefix. */
  readonly batchStatistics: Record<string, BatchStatistics> = {};
  /** Training: the dropout masks the caller feeds (keep/(1 − rate) per element), in order. */
  readonly dropoutMasks: Value[] = [];

  private readonly layout: NchwcLayout;

  constructor(private readonly b: GraphBuilder, private readonly options: GraphLayerOptions) {
    this.layout = new NchwcLayout(b, options.nchwcBlock);
  }

  /** Marks graph inputs whose gradients will be asked for. */
  differentiate(values: Value[]): void {
    for (const v of values) this.differentiable.add(v.name);
  }

  private tensor(name: string): Value {
    const t = this.options.tensors[name];
    if (t === undefined) throw new Error(`model tensor '${name}' is missing`);
    return t;
  }

  private record(inputs: Value[], output: Value, backward: Backward): Value {
    if (inputs.some((v) => this.differentiable.has(v.name))) {
      this.differentiable.add(output.name);
      this.tape.push({ inputs, output, backward });
    }
    return output;
  }

  private needs(v: Value): boolean {
    return this.differentiable.has(v.name);
  }

  private transposeRecorded(x: Value, perm: number[]): Value {
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return this.record([x], this.b.transpose(x, perm), (dy) => [this.b.transpose(dy, inverse)]);
  }

  /** A tfjs NHWC image batch as the NCHW tensor ONNX convolutions take. */
  channelsFirst(x: Value): Value {
    return this.transposeRecorded(x, [0, 3, 1, 2]);
  }

  normalizeInput(x: Value, normalization: InputNormalization | undefined): Value {
    if (normalization === undefined) return x;
    const shape = [1, normalization.mean.length, 1, 1];
    const std = this.b.floats(normalization.std, shape);
    const y = this.b.binary('Div', this.b.binary('Sub', x, this.b.floats(normalization.mean, shape)), std);
    return this.record([x], y, (dy) => [this.b.binary('Div', dy, std)]);
  }

  conv(prefix: string, x: Value, stride: number, padding: number, bias = false): Value {
    const weight = this.tensor(`${prefix}.weight`);
    const filter = forwardFilter(this.b, weight);
    const inputs = bias ? [x, weight, this.tensor(`${prefix}.bias`)] : [x, weight];
    const y = this.convolve(x, filter, bias ? inputs[2] : undefined, stride, padding);
    return this.record(inputs, y, (dy) => [
      this.needs(x) ? this.convInputGradient(dy, weight, filter, x.shape, stride, padding) : undefined,
      this.needs(weight) ? this.convWeightGradient(this.layout.plain(dy), this.layout.plain(x), filter.shape, stride, padding) : undefined,
      bias && this.needs(inputs[2]!) ? this.layout.channelSum(dy) : undefined,
    ]);
  }

  /**
   * A convolution (symmetric padding): in onnxruntime's NCHWc layout where the channels block,
   * leaving its output blocked (at any image size: at 4×4 it beats the batched product below by
   * ~15% of a preact-resnet18 gradient). Otherwise NCHW: onnxruntime's Conv makes one matrix
   * product per image, which is slow when an image has few output pixels (4×4: ~65 GFLOP/s);
   * there the patches of the whole batch (channels last) go through one product instead.
   */
  private convolve(input: Value, filter: ConvFilter, bias: Value | undefined, stride: number, padding: number): Value {
    const [n, cin, h, wd] = input.shape as [number, number, number, number];
    const [cout, , kh, kw] = filter.shape;
    const ho = Math.floor((h + 2 * padding - kh) / stride) + 1;
    const wo = Math.floor((wd + 2 * padding - kw) / stride) + 1;
    const attributes = { kernel_shape: [kh, kw], strides: [stride, stride], pads: [padding, padding, padding, padding] };
    const block = this.options.nchwcBlock;
    const blocked = block === undefined ? undefined : filter.blocked(block);
    if (blocked !== undefined) {
      // Fewer than 8 input channels: MLAS reads them as NCHW.
      const x = cin % block! === 0 ? this.layout.toBlocked(input) : this.layout.plain(input);
      const { filter: w, outChannels } = blocked;
      const y = this.b.domainNode(NCHWC_DOMAIN, 'Conv', bias === undefined ? [x, w] : [x, w, bias], attributes, [n, outChannels, ho, wo]);
      if (outChannels === cout) return this.layout.blocked(y);
      // Channels padded to a block: the real ones, as NCHW.
      return this.b.domainNode(NCHWC_DOMAIN, 'ReorderOutput', [y], { channels: cout }, [n, cout, ho, wo]);
    }
    if (ho * wo > SMALL_IMAGE_PIXELS) {
      const w = filter.oihw();
      const x = this.layout.plain(input);
      return this.b.node('Conv', bias === undefined ? [x, w] : [x, w, bias], attributes, [n, cout, ho, wo]);
    }
    const x = this.layout.plain(input);
    let xLast = this.b.transpose(x, [0, 2, 3, 1]);
    if (padding > 0) xLast = this.b.node('Pad', [xLast, this.b.int64s([0, padding, padding, 0, 0, padding, padding, 0])], {}, [n, h + 2 * padding, wd + 2 * padding, cin]);
    const taps: Value[] = [];
    for (let a = 0; a < kh; a++) {
      for (let c = 0; c < kw; c++) {
        const ends = [a + (ho - 1) * stride + 1, c + (wo - 1) * stride + 1];
        taps.push(this.b.node('Slice', [xLast, this.b.int64s([a, c]), this.b.int64s(ends), this.b.int64s([1, 2]), this.b.int64s([stride, stride])], {}, [n, ho, wo, cin]));
      }
    }
    const patches = taps.length === 1 ? taps[0]! : this.b.node('Concat', taps, { axis: 3 }, [n, ho, wo, kh * kw * cin]);
    // Filter rows in the patches' (kh, kw, c) order.
    const rowsFilter = this.b.reshape(this.b.transpose(filter.oihw(), [2, 3, 1, 0]), [kh * kw * cin, cout]);
    const rows = this.b.reshape(patches, [n * ho * wo, kh * kw * cin]);
    const product = bias === undefined
      ? this.b.node('MatMul', [rows, rowsFilter], {}, [n * ho * wo, cout])
      : this.b.node('Gemm', [rows, rowsFilter, bias], {}, [n * ho * wo, cout]);
    return this.b.transpose(this.b.reshape(product, [n, ho, wo, cout]), [0, 3, 1, 2]);
  }

  /**
   * ∂/∂x of a convolution. Stride 1: a convolution of the output gradient with the filter
   * flipped in space and with its channel axes swapped (onnxruntime's Conv is several times faster
   * than its ConvTranspose); strided: the transposed convolution, padded back to x's size.
   */
  private convInputGradient(dy: Value, weight: Value, filter: ConvFilter, xShape: number[], stride: number, padding: number): Value {
    const [, , kh, kw] = filter.shape;
    if (stride === 1 && padding <= kh - 1 && padding <= kw - 1) {
      const [ph, pw] = [kh - 1 - padding, kw - 1 - padding];
      if (ph !== pw) throw new Error('conv input gradient: non-square padding');
      return this.convolve(dy, flippedFilter(this.b, weight), undefined, 1, ph);
    }
    const outputPadding = [2, 3].map((axis, i) => xShape[axis]! - ((dy.shape[axis]! - 1) * stride - 2 * padding + [kh, kw][i]!));
    return this.b.node('ConvTranspose', [this.layout.plain(dy), filter.oihw()], {
      kernel_shape: [kh, kw], strides: [stride, stride], pads: [padding, padding, padding, padding], output_padding: outputPadding,
    }, xShape);
  }

  /**
   * ∂/∂w of a convolution as one matrix product over all N·Ho·Wo output positions: the input's
   * patches (im2col, made by a depthwise convolution with one-hot filters) times the output
   * gradient. (The batch-swapped convolution that computes the same runs at ~8 GFLOP/s in
   * onnxruntime, a product with a huge inner dimension and kh·kw columns; patches cut with Slice
   * and Concat in channels-last order copy 64 bytes at a time.)
   */
  private convWeightGradient(dy: Value, x: Value, filterShape: ConvFilter['shape'], stride: number, padding: number): Value {
    const [cout, cin, kh, kw] = filterShape;
    const n = x.shape[0]!;
    const [ho, wo] = [dy.shape[2]!, dy.shape[3]!];
    const taps = kh * kw;
    const oneHot = new Array<number>(cin * taps * taps).fill(0);
    for (let c = 0; c < cin; c++) for (let t = 0; t < taps; t++) oneHot[(c * taps + t) * taps + t] = 1;
    const patches = this.b.node('Conv', [x, this.b.floats(oneHot, [cin * taps, 1, kh, kw])], {
      kernel_shape: [kh, kw], strides: [stride, stride], pads: [padding, padding, padding, padding], group: cin,
    }, [n, cin * taps, ho, wo]);
    const dyRows = this.b.transpose(this.b.reshape(dy, [n, cout, ho * wo]), [0, 2, 1]);
    let product: Value;
    if (ho * wo >= cout) {
      // Per example: [cin·taps, Ho·Wo] × [Ho·Wo, cout], then summed over the batch.
      const perExample = this.b.node('MatMul', [this.b.reshape(patches, [n, cin * taps, ho * wo]), dyRows], {}, [n, cin * taps, cout]);
      product = this.b.reduceSum(perExample, [0], false);
    } else {
      // Few output pixels: per-example products would outweigh the patches; one product over
      // all N·Ho·Wo positions instead, the patches transposed to [cin·taps, N·Ho·Wo].
      const columns = this.b.reshape(this.b.transpose(this.b.reshape(patches, [n, cin * taps, ho * wo]), [1, 0, 2]), [cin * taps, n * ho * wo]);
      product = this.b.node('MatMul', [columns, this.b.reshape(dyRows, [n * ho * wo, cout])], {}, [cin * taps, cout]);
    }
    // Rows in (cin, kh, kw) order; the weight is tfjs's HWIO.
    return this.b.transpose(this.b.reshape(product, [cin, kh, kw, cout]), [1, 2, 0, 3]);
  }

  linear(prefix: string, x: Value): Value {
    const w = this.tensor(`${prefix}.weight`);
    const bias = this.tensor(`${prefix}.bias`);
    const y = this.b.node('Gemm', [x, w, bias], {}, [x.shape[0]!, w.shape[1]!]);
    return this.record([x, w, bias], y, (dy) => [
      this.needs(x) ? this.b.node('Gemm', [dy, w], { transB: 1 }, x.shape) : undefined,
      this.needs(w) ? this.b.node('Gemm', [x, dy], { transA: 1 }, w.shape) : undefined,
      this.needs(bias) ? this.b.reduceSum(dy, [0], false) : undefined,
    ]);
  }

  /**
   * BatchNorm's mean and (biased) variance per channel: the running ones in eval mode, the batch's
   * (from `batch`, and recorded as graph outputs) in training.
   */
  private normalizationStatistics(prefix: string, x: Value, batch: () => { mean: Value; variance: Value }): { mean: Value; variance: Value } {
    if (!this.options.training) return { mean: this.tensor(`${prefix}.running_mean`), variance: this.tensor(`${prefix}.running_var`) };
    const statistics = batch();
    this.batchStatistics[prefix] = { count: x.shape[0]! * x.shape[2]! * x.shape[3]!, ...statistics };
    return statistics;
  }

  /** 1/√(variance + ε) per channel. */
  private inverseStd(variance: Value): Value {
    const sqrt = this.b.node('Sqrt', [this.b.binary('Add', variance, this.b.scalar(BN_EPSILON))], {}, variance.shape);
    return this.b.node('Reciprocal', [sqrt], {}, variance.shape);
  }

  batchNorm(prefix: string, x: Value): Value {
    if (this.layout.isBlocked(x)) return this.blockedBatchNorm(prefix, x);
    const gamma = this.tensor(`${prefix}.weight`);
    const beta = this.tensor(`${prefix}.bias`);
    const channels = [1, x.shape[1]!, 1, 1];
    const perChannel = (v: Value) => this.b.reshape(v, channels);
    const count = x.shape[0]! * x.shape[2]! * x.shape[3]!;
    const { mean, variance } = this.normalizationStatistics(prefix, x, () => {
      const mean4 = this.b.reduceMean(x, [0, 2, 3], true);
      const centered = this.b.binary('Sub', x, mean4);
      const sumSquares = this.b.node('ReduceSumSquare', [centered], { axes: [0, 2, 3], keepdims: 0 }, [x.shape[1]!]);
      return { mean: this.b.reshape(mean4, [x.shape[1]!]), variance: this.b.binary('Mul', sumSquares, this.b.scalar(1 / count)) };
    });
    const y = this.b.node('BatchNormalization', [x, gamma, beta, mean, variance], { epsilon: { float: BN_EPSILON } }, x.shape);
    const training = this.options.training;
    return this.record([x, gamma, beta], y, (dy) => {
      // x̂ = (x − mean)/σ, recomputed by a unit-scale BatchNormalization (γ may be 0).
      const needsStatistics = this.needs(gamma) || training;
      const unit = () => [this.b.floats(new Array(x.shape[1]!).fill(1)), this.b.floats(new Array(x.shape[1]!).fill(0))];
      const xHat = needsStatistics ? this.b.node('BatchNormalization', [x, ...unit(), mean, variance], { epsilon: { float: BN_EPSILON } }, x.shape) : undefined;
      const dBeta = this.needs(beta) || training ? this.b.reduceSum(dy, [0, 2, 3], false) : undefined;
      const dGamma = needsStatistics ? this.b.reduceSum(this.b.binary('Mul', dy, xHat!), [0, 2, 3], false) : undefined;
      let dx: Value | undefined;
      if (this.needs(x)) {
        const scale = perChannel(this.b.binary('Mul', gamma, this.inverseStd(variance)));
        if (!training) dx = this.b.binary('Mul', dy, scale);
        else {
          // Batch statistics depend on x: dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)).
          const meanDy = perChannel(this.b.binary('Mul', dBeta!, this.b.scalar(1 / count)));
          const meanDyXHat = perChannel(this.b.binary('Mul', dGamma!, this.b.scalar(1 / count)));
          const centered = this.b.binary('Sub', this.b.binary('Sub', dy, meanDy), this.b.binary('Mul', xHat!, meanDyXHat));
          dx = this.b.binary('Mul', centered, scale);
        }
      }
      return [dx, this.needs(gamma) ? dGamma : undefined, this.needs(beta) ? dBeta : undefined];
    });
  }

  /**
   * BatchNorm of a blocked x, kept blocked: the normalization is one depthwise NCHWc convolution
   * (scale γ/σ, shift β − μγ/σ), and so is each per-channel step of the backward pass, which in
   * training is dx = γ/σ·dy − γ/σ·mean(dy) − x̂·γ/σ·mean(dy·x̂), two passes.
   */
  private blockedBatchNorm(prefix: string, x: Value): Value {
    const gamma = this.tensor(`${prefix}.weight`);
    const beta = this.tensor(`${prefix}.bias`);
    const count = x.shape[0]! * x.shape[2]! * x.shape[3]!;
    const perCount = (v: Value) => this.b.binary('Mul', v, this.b.scalar(1 / count));
    const { mean, variance } = this.normalizationStatistics(prefix, x, () => {
      const batchMean = perCount(this.layout.channelSum(x));
      return { mean: batchMean, variance: perCount(this.layout.channelSum(this.layout.subtractPerChannel(x, batchMean), 'ReduceSumSquare')) };
    });
    const invStd = this.inverseStd(variance);
    const scale = this.b.binary('Mul', gamma, invStd);
    const negative = (v: Value) => this.b.node('Neg', [v], {}, v.shape);
    const y = this.layout.affine(x, scale, this.b.binary('Sub', beta, this.b.binary('Mul', mean, scale)));
    const training = this.options.training;
    return this.record([x, gamma, beta], y, (dy) => {
      const needsStatistics = this.needs(gamma) || training;
      // x̂ = (x − mean)/σ.
      const xHat = needsStatistics ? this.layout.affine(x, invStd, negative(this.b.binary('Mul', mean, invStd))) : undefined;
      const dBeta = this.needs(beta) || training ? this.layout.channelSum(dy) : undefined;
      const dGamma = needsStatistics ? this.layout.channelSum(this.layout.elementwise('Mul', [dy, xHat!], x.shape)) : undefined;
      let dx: Value | undefined;
      if (this.needs(x)) {
        const scaledDy = this.layout.affine(dy, scale);
        dx = !training ? scaledDy : this.layout.affine(xHat!,
          negative(perCount(this.b.binary('Mul', scale, dGamma!))), negative(perCount(this.b.binary('Mul', scale, dBeta!))), scaledDy);
      }
      return [dx, this.needs(gamma) ? dGamma : undefined, this.needs(beta) ? dBeta : undefined];
    });
  }

  dropout(input: Value, rate: number): Value {
    if (!this.options.training || rate === 0) return input;
    const x = this.layout.plain(input);
    const mask = this.b.input(`dropout_mask_${this.dropoutMasks.length}`, x.shape);
    this.dropoutMasks.push(mask);
    return this.record([input], this.b.binary('Mul', x, mask), (dy) => [this.b.binary('Mul', dy, mask)]);
  }

  relu(x: Value): Value {
    const y = this.layout.elementwise('Relu', [x], x.shape);
    return this.record([x], y, (dy) => {
      const positive = this.layout.elementwise('Greater', [y, this.b.scalar(0)], y.shape);
      return [this.layout.elementwise('Where', [positive, dy, this.b.scalar(0)], dy.shape)];
    });
  }

  maxPool(input: Value, size: number): Value {
    const x = this.layout.plain(input);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const attributes = { kernel_shape: [size, size], strides: [size, size] };
    const [y, indices] = this.b.multiNode('MaxPool', [x], attributes, [[n, c, Math.floor(h / size), Math.floor(w / size)], [n, c, Math.floor(h / size), Math.floor(w / size)]]);
    return this.record([input], y!, (dy) => [this.b.node('MaxUnpool', [dy, indices!, this.b.int64s(x.shape)], attributes, x.shape)]);
  }

  avgPool(input: Value, size: number): Value {
    const x = this.layout.plain(input);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const [ho, wo] = [Math.floor(h / size), Math.floor(w / size)];
    const y = this.b.node('AveragePool', [x], { kernel_shape: [size, size], strides: [size, size] }, [n, c, ho, wo]);
    return this.record([input], y, (dy) => {
      // Each input pixel of a window gets 1/size² of its output's gradient; pixels past the last window none.
      const spread = this.b.node('Expand', [this.b.reshape(dy, [n, c, ho, 1, wo, 1]), this.b.int64s([n, c, ho, size, wo, size])], {}, [n, c, ho, size, wo, size]);
      let dx = this.b.binary('Mul', this.b.reshape(spread, [n, c, ho * size, wo * size]), this.b.scalar(1 / (size * size)));
      if (ho * size !== h || wo * size !== w) {
        dx = this.b.node('Pad', [dx, this.b.int64s([0, 0, 0, 0, 0, 0, h - ho * size, w - wo * size])], {}, x.shape);
      }
      return [dx];
    });
  }

  add(a: Value, c: Value): Value {
    // Blocked when either side is (and both can be): a residual joins a blocked branch.
    const blocked = (this.layout.isBlocked(a) || this.layout.isBlocked(c)) && this.layout.blockable(a);
    const [x, y] = blocked ? [this.layout.toBlocked(a), this.layout.toBlocked(c)] : [this.layout.plain(a), this.layout.plain(c)];
    return this.record([a, c], this.layout.elementwise('Add', [x, y], broadcastShape(a.shape, c.shape)), (dy) => [dy, dy]);
  }

  flatten(input: Value): Value {
    const x = this.layout.plain(input);
    const y = this.b.reshape(x, [x.shape[0]!, x.shape.slice(1).reduce((p, d) => p * d, 1)]);
    return this.record([input], y, (dy) => [this.b.reshape(dy, x.shape)]);
  }

  /**
   * Reverse pass from `seed` (the gradient of the objective with respect to `output`): the
   * gradients of the requested values (undefined for those the output does not depend on).
   */
  gradients(output: Value, seed: Value, wrt: Value[]): Array<Value | undefined> {
    const grads = new Map<string, Value>([[output.name, seed]]);
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const entry = this.tape[i]!;
      const dy = grads.get(entry.output.name);
      if (dy === undefined) continue;
      entry.backward(dy).forEach((g, k) => {
        const input = entry.inputs[k]!;
        if (g === undefined || !this.needs(input)) return;
        const previous = grads.get(input.name);
        const inLayout = this.layout.as(g, input);
        grads.set(input.name, previous === undefined ? inLayout : this.layout.elementwise('Add', [previous, inLayout], input.shape));
      });
    }
    return wrt.map((v) => grads.get(v.name));
  }
}
