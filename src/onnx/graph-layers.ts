/**
 * The layer vocabulary as ONNX nodes (NCHW, or onnxruntime's blocked NCHWc from a blocked
 * convolution on: see nchwc-layout.ts), differentiated by a reverse-mode tape (gradient-tape.ts);
 * convolutions in graph-convolution.ts, BatchNorm in graph-batch-norm.ts. Weights arrive in tfjs
 * layout (HWIO convolutions, in×out linear) as graph inputs named by their PyTorch names.
 */
import type { Layers } from '../models/layers.ts';
import type { InputNormalization } from '../models/types.ts';
import { forwardFilter, type ConvFilter } from './conv-filter.ts';
import { batchNormLayer, type BatchNormContext, type BatchStatistics } from './graph-batch-norm.ts';
import { ConvolutionLowering } from './graph-convolution.ts';
import { broadcastShape, type GraphBuilder, type Value } from './graph-builder.ts';
import { GradientTape, type Backward } from './gradient-tape.ts';
import { insideMasked, leakyReluMasked, sigmoidSlope } from './graph-activations.ts';
import { avgPoolNode, maxPoolNode } from './graph-pooling.ts';
import { NchwcLayout } from './nchwc-layout.ts';
import type { AttributeValue } from './onnx-model.ts';

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

/** What one pass of the network through the layers leaves for the caller (training mode). */
export interface NetworkPass {
  /** Each BatchNorm's batch statistics, by layer prefix. */
  batchStatistics: Record<string, BatchStatistics>;
  /** The dropout masks the caller feeds (keep/(1 − rate) per element), in order. */
  dropoutMasks: Value[];
}

export class GraphLayers implements Layers<Value> {
  /** Training: what each pass of the network left, in order (one pass unless `nextPass` is called). */
  readonly passes: NetworkPass[] = [{ batchStatistics: {}, dropoutMasks: [] }];
  /** The filters in the convolutions' form, one per weight whatever the number of passes. */
  private readonly filters = new Map<string, ConvFilter>();

  private readonly layout: NchwcLayout;
  private readonly tape: GradientTape;
  private readonly convolutions: ConvolutionLowering;
  private readonly batchNormContext: BatchNormContext;

  constructor(
    private readonly b: GraphBuilder,
    private readonly options: GraphLayerOptions,
  ) {
    this.layout = new NchwcLayout(b, options.nchwcBlock);
    this.tape = new GradientTape(this.layout);
    this.convolutions = new ConvolutionLowering(b, this.layout, options.nchwcBlock);
    this.batchNormContext = {
      b,
      layout: this.layout,
      tape: this.tape,
      training: options.training,
      tensor: (name) => this.tensor(name),
      recordStatistics: (prefix, statistics) => {
        this.passes.at(-1)!.batchStatistics[prefix] = statistics;
      },
    };
  }

  /** Marks graph inputs whose gradients will be asked for. */
  differentiate(values: Value[]): void {
    this.tape.differentiate(values);
  }

  private tensor(name: string): Value {
    const t = this.options.tensors[name];
    if (t === undefined) throw new Error(`model tensor '${name}' is missing`);
    return t;
  }

  private record(inputs: Value[], output: Value, backward: Backward): Value {
    return this.tape.record(inputs, output, backward);
  }

  private needs(v: Value): boolean {
    return this.tape.needs(v);
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

  conv(prefix: string, x: Value, stride: number, padding: number, bias = false, groups = 1): Value {
    const weight = this.tensor(`${prefix}.weight`);
    const filter = this.filters.get(weight.name) ?? forwardFilter(this.b, weight);
    this.filters.set(weight.name, filter);
    const inputs = bias ? [x, weight, this.tensor(`${prefix}.bias`)] : [x, weight];
    const conv = this.convolutions;
    if (groups !== 1) {
      const y = conv.convolveGrouped(x, filter, inputs[2], stride, padding, groups);
      return this.record(inputs, y, (dy) => [
        this.needs(x) ? conv.groupedInputGradient(dy, filter, x.shape, stride, padding, groups) : undefined,
        this.needs(weight)
          ? conv.groupedWeightGradient(
              this.layout.plain(dy),
              this.layout.plain(x),
              filter.shape,
              stride,
              padding,
              groups,
            )
          : undefined,
        bias && this.needs(inputs[2]!) ? this.layout.channelSum(dy) : undefined,
      ]);
    }
    const y = conv.convolve(x, filter, inputs[2], stride, padding);
    return this.record(inputs, y, (dy) => [
      this.needs(x) ? conv.inputGradient(dy, weight, filter, x.shape, stride, padding) : undefined,
      this.needs(weight)
        ? conv.weightGradient(this.layout.plain(dy), this.layout.plain(x), filter.shape, stride, padding)
        : undefined,
      bias && this.needs(inputs[2]!) ? this.layout.channelSum(dy) : undefined,
    ]);
  }

  linear(prefix: string, x: Value, bias = true): Value {
    const w = this.tensor(`${prefix}.weight`);
    const inputs = bias ? [x, w, this.tensor(`${prefix}.bias`)] : [x, w];
    const y = this.b.node('Gemm', inputs, {}, [x.shape[0]!, w.shape[1]!]);
    return this.record(inputs, y, (dy) => [
      this.needs(x) ? this.b.node('Gemm', [dy, w], { transB: 1 }, x.shape) : undefined,
      this.needs(w) ? this.b.node('Gemm', [x, dy], { transA: 1 }, w.shape) : undefined,
      bias && this.needs(inputs[2]!) ? this.b.reduceSum(dy, [0], false) : undefined,
    ]);
  }

  batchNorm(prefix: string, x: Value): Value {
    return batchNormLayer(this.batchNormContext, prefix, x);
  }

  dropout(input: Value, rate: number): Value {
    if (!this.options.training || rate === 0) return input;
    const x = this.layout.plain(input);
    const pass = this.passes.length - 1;
    const { dropoutMasks } = this.passes[pass]!;
    const mask = this.b.input(`dropout_mask_${pass === 0 ? '' : `${pass}_`}${dropoutMasks.length}`, x.shape);
    dropoutMasks.push(mask);
    return this.record([input], this.b.binary('Mul', x, mask), (dy) => [this.b.binary('Mul', dy, mask)]);
  }

  relu(x: Value): Value {
    const y = this.layout.elementwise('Relu', [x], x.shape);
    return this.record([x], y, (dy) => {
      const positive = this.layout.elementwise('Greater', [y, this.b.scalar(0)], y.shape);
      return [this.layout.elementwise('Where', [positive, dy, this.b.scalar(0)], dy.shape)];
    });
  }

  maxPool(input: Value, size: number, stride = size, padding = 0): Value {
    const { y, inputGradient } = maxPoolNode(this.b, this.layout.plain(input), size, stride, padding);
    return this.record([input], y, (dy) => [inputGradient(dy)]);
  }

  avgPool(input: Value, size: number, stride = size, padding = 0): Value {
    const { y, inputGradient } = avgPoolNode(this.b, this.layout.plain(input), size, stride, padding);
    return this.record([input], y, (dy) => [inputGradient(dy)]);
  }

  globalAvgPool(input: Value): Value {
    const x = this.layout.plain(input);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const y = this.b.reduceMean(x, [2, 3], true);
    return this.record([input], y, (dy) => [
      this.b.node('Expand', [this.b.binary('Mul', dy, this.b.scalar(1 / (h * w))), this.b.int64s([n, c, h, w])], {}, [
        n,
        c,
        h,
        w,
      ]),
    ]);
  }

  leakyRelu(x: Value, alpha: number): Value {
    const y = this.elementwiseWith('LeakyRelu', [x], { alpha: { float: alpha } });
    return this.record([x], y, (dy) => [leakyReluMasked(this.b, this.layout, x, dy, alpha)]);
  }

  clip(x: Value, min: number, max: number): Value {
    const bounds = [this.b.scalar(min), this.b.scalar(max)] as const;
    const y = this.layout.elementwise('Clip', [x, ...bounds], x.shape);
    return this.record([x], y, (dy) => [insideMasked(this.b, this.layout, x, dy, ...bounds)]);
  }

  sigmoid(x: Value): Value {
    const y = this.layout.elementwise('Sigmoid', [x], x.shape);
    return this.record([x], y, (dy) => [
      this.layout.elementwise('Mul', [dy, sigmoidSlope(this.b, this.layout, y)], y.shape),
    ]);
  }

  mul(a: Value, c: Value): Value {
    const sameShape = a.shape.length === c.shape.length && a.shape.every((d, i) => d === c.shape[i]);
    if (sameShape) {
      // Blocked when either side is (and both can be), as add.
      const blocked = (this.layout.isBlocked(a) || this.layout.isBlocked(c)) && this.layout.blockable(a);
      const [x, y] = blocked
        ? [this.layout.toBlocked(a), this.layout.toBlocked(c)]
        : [this.layout.plain(a), this.layout.plain(c)];
      return this.record([a, c], this.layout.elementwise('Mul', [x, y], a.shape), (dy) => [
        this.needs(a) ? this.layout.elementwise('Mul', [dy, y], a.shape) : undefined,
        this.needs(c) ? this.layout.elementwise('Mul', [dy, x], a.shape) : undefined,
      ]);
    }
    const gateOf = (g: Value, x: Value) =>
      x.shape.length === 4 && g.shape.join() === [x.shape[0], x.shape[1], 1, 1].join();
    if (gateOf(a, c)) return this.mul(c, a);
    if (!gateOf(c, a)) throw new Error(`mul: [${c.shape}] is neither [${a.shape}] nor its per-channel gate`);
    // A per-channel gate: plain NCHW (a blocked 1×1 map does not broadcast over blocked pixels).
    const [x, gate] = [this.layout.plain(a), this.layout.plain(c)];
    return this.record([a, c], this.b.binary('Mul', x, gate), (dy) => [
      this.needs(a) ? this.b.binary('Mul', dy, gate) : undefined,
      this.needs(c) ? this.b.reduceSum(this.b.binary('Mul', dy, x), [2, 3], true) : undefined,
    ]);
  }

  concat(inputs: Value[]): Value {
    const xs = inputs.map((v) => this.layout.plain(v));
    const shape = [...xs[0]!.shape];
    shape[1] = xs.reduce((total, x) => total + x.shape[1]!, 0);
    const y = this.b.node('Concat', xs, { axis: 1 }, shape);
    return this.record(inputs, y, (dy) => {
      let start = 0;
      return xs.map((x, i) => {
        const end = start + x.shape[1]!;
        const part = this.needs(inputs[i]!)
          ? this.b.node('Slice', [dy, this.b.int64s([start]), this.b.int64s([end]), this.b.int64s([1])], {}, x.shape)
          : undefined;
        start = end;
        return part;
      });
    });
  }

  /** An elementwise node with attributes, in its input's layout. */
  private elementwiseWith(op: string, inputs: Value[], attributes: Record<string, AttributeValue>): Value {
    const out = this.b.node(op, inputs, attributes, inputs[0]!.shape);
    return inputs.some((v) => this.layout.isBlocked(v)) ? this.layout.blocked(out) : out;
  }

  add(a: Value, c: Value): Value {
    // Blocked when either side is (and both can be): a residual joins a blocked branch.
    const blocked = (this.layout.isBlocked(a) || this.layout.isBlocked(c)) && this.layout.blockable(a);
    const [x, y] = blocked
      ? [this.layout.toBlocked(a), this.layout.toBlocked(c)]
      : [this.layout.plain(a), this.layout.plain(c)];
    return this.record([a, c], this.layout.elementwise('Add', [x, y], broadcastShape(a.shape, c.shape)), (dy) => [
      dy,
      dy,
    ]);
  }

  flatten(input: Value): Value {
    const x = this.layout.plain(input);
    const y = this.b.reshape(x, [x.shape[0]!, x.shape.slice(1).reduce((p, d) => p * d, 1)]);
    return this.record([input], y, (dy) => [this.b.reshape(dy, x.shape)]);
  }

  /**
   * Reverse pass from each output's seed (the gradient of the objective with respect to it): the
   * gradients of the requested values (undefined for those the outputs do not depend on).
   */
  gradients(seeds: Array<[output: Value, seed: Value]>, wrt: Value[]): Array<Value | undefined> {
    return this.tape.gradients(seeds, undefined, wrt);
  }

  /**
   * Starts another pass of the network on the same weights (TRADES' and MART's adversarial
   * pass): its BatchNorm statistics and dropout masks are kept apart from the earlier passes'.
   */
  nextPass(): void {
    this.passes.push({ batchStatistics: {}, dropoutMasks: [] });
  }
}
