/**
 * Convolutions as ONNX nodes, and their gradients: each lowered in the form onnxruntime runs
 * fastest for its shape (why each form wins: docs/engine-notes.md).
 */
import { flippedFilter, type ConvFilter } from './conv-filter.ts';
import type { GraphBuilder, Value } from './graph-builder.ts';
import { NCHWC_DOMAIN, type NchwcLayout } from './nchwc-layout.ts';

/** Output pixels per image up to which a convolution runs as one batched matrix product. */
const SMALL_IMAGE_PIXELS = 16;

export class ConvolutionLowering {
  /** `block`: onnxruntime's NCHWc channel block, when it has one (see GraphLayerOptions). */
  constructor(
    private readonly b: GraphBuilder,
    private readonly layout: NchwcLayout,
    private readonly block: number | undefined,
  ) {}

  /**
   * A convolution (symmetric padding): in onnxruntime's NCHWc layout where the channels block,
   * leaving its output blocked (at any image size). Otherwise NCHW: onnxruntime's Conv makes one
   * matrix product per image, slow when an image has few output pixels; there the patches of the
   * whole batch (channels last) go through one product instead.
   */
  convolve(input: Value, filter: ConvFilter, bias: Value | undefined, stride: number, padding: number): Value {
    const [n, cin, h, wd] = input.shape as [number, number, number, number];
    const [cout, , kh, kw] = filter.shape;
    const ho = Math.floor((h + 2 * padding - kh) / stride) + 1;
    const wo = Math.floor((wd + 2 * padding - kw) / stride) + 1;
    const attributes = {
      kernel_shape: [kh, kw],
      strides: [stride, stride],
      pads: [padding, padding, padding, padding],
    };
    const block = this.block;
    const blocked = block === undefined ? undefined : filter.blocked(block);
    if (blocked !== undefined) {
      // Fewer than 8 input channels: MLAS reads them as NCHW.
      const x = cin % block! === 0 ? this.layout.toBlocked(input) : this.layout.plain(input);
      const { filter: w, outChannels } = blocked;
      const y = this.b.domainNode(NCHWC_DOMAIN, 'Conv', bias === undefined ? [x, w] : [x, w, bias], attributes, [
        n,
        outChannels,
        ho,
        wo,
      ]);
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
    if (padding > 0)
      xLast = this.b.node('Pad', [xLast, this.b.int64s([0, padding, padding, 0, 0, padding, padding, 0])], {}, [
        n,
        h + 2 * padding,
        wd + 2 * padding,
        cin,
      ]);
    const taps: Value[] = [];
    for (let a = 0; a < kh; a++) {
      for (let c = 0; c < kw; c++) {
        const ends = [a + (ho - 1) * stride + 1, c + (wo - 1) * stride + 1];
        taps.push(
          this.b.node(
            'Slice',
            [xLast, this.b.int64s([a, c]), this.b.int64s(ends), this.b.int64s([1, 2]), this.b.int64s([stride, stride])],
            {},
            [n, ho, wo, cin],
          ),
        );
      }
    }
    const patches = taps.length === 1 ? taps[0]! : this.b.node('Concat', taps, { axis: 3 }, [n, ho, wo, kh * kw * cin]);
    // Filter rows in the patches' (kh, kw, c) order.
    const rowsFilter = this.b.reshape(this.b.transpose(filter.oihw(), [2, 3, 1, 0]), [kh * kw * cin, cout]);
    const rows = this.b.reshape(patches, [n * ho * wo, kh * kw * cin]);
    const product =
      bias === undefined
        ? this.b.node('MatMul', [rows, rowsFilter], {}, [n * ho * wo, cout])
        : this.b.node('Gemm', [rows, rowsFilter, bias], {}, [n * ho * wo, cout]);
    return this.b.transpose(this.b.reshape(product, [n, ho, wo, cout]), [0, 3, 1, 2]);
  }

  /**
   * ∂/∂x of a convolution. Stride 1: a convolution of the output gradient with the filter
   * flipped in space and with its channel axes swapped (faster in onnxruntime than its
   * ConvTranspose); strided: the transposed convolution, padded back to x's size.
   */
  inputGradient(
    dy: Value,
    weight: Value,
    filter: ConvFilter,
    xShape: number[],
    stride: number,
    padding: number,
  ): Value {
    const [, , kh, kw] = filter.shape;
    if (stride === 1 && padding <= kh - 1 && padding <= kw - 1) {
      const [ph, pw] = [kh - 1 - padding, kw - 1 - padding];
      if (ph !== pw) throw new Error('conv input gradient: non-square padding');
      return this.convolve(dy, flippedFilter(this.b, weight), undefined, 1, ph);
    }
    return this.groupedInputGradient(dy, filter, xShape, stride, padding, 1);
  }

  /**
   * ∂/∂w of a convolution (dy and x in NCHW) as one matrix product over all N·Ho·Wo output
   * positions: the input's patches (im2col, made by a depthwise convolution with one-hot filters)
   * times the output gradient. The result is in tfjs's HWIO layout.
   */
  weightGradient(dy: Value, x: Value, filterShape: ConvFilter['shape'], stride: number, padding: number): Value {
    const [cout, cin, kh, kw] = filterShape;
    const n = x.shape[0]!;
    const [ho, wo] = [dy.shape[2]!, dy.shape[3]!];
    const taps = kh * kw;
    const patches = this.patches(x, cin, kh, kw, stride, padding, [ho, wo]);
    const dyRows = this.b.transpose(this.b.reshape(dy, [n, cout, ho * wo]), [0, 2, 1]);
    let product: Value;
    if (ho * wo >= cout) {
      // Per example: [cin·taps, Ho·Wo] × [Ho·Wo, cout], then summed over the batch.
      const perExample = this.b.node('MatMul', [this.b.reshape(patches, [n, cin * taps, ho * wo]), dyRows], {}, [
        n,
        cin * taps,
        cout,
      ]);
      product = this.b.reduceSum(perExample, [0], false);
    } else {
      // Few output pixels: per-example products would outweigh the patches; one product over
      // all N·Ho·Wo positions instead, the patches transposed to [cin·taps, N·Ho·Wo].
      const columns = this.b.reshape(this.b.transpose(this.b.reshape(patches, [n, cin * taps, ho * wo]), [1, 0, 2]), [
        cin * taps,
        n * ho * wo,
      ]);
      product = this.b.node('MatMul', [columns, this.b.reshape(dyRows, [n * ho * wo, cout])], {}, [cin * taps, cout]);
    }
    // Rows in (cin, kh, kw) order; the weight is tfjs's HWIO.
    return this.b.transpose(this.b.reshape(product, [cin, kh, kw, cout]), [1, 2, 0, 3]);
  }

  /** The input's patches (im2col) [N, C·kh·kw, Ho, Wo], channel-major: a depthwise convolution with one-hot filters. */
  private patches(
    x: Value,
    cin: number,
    kh: number,
    kw: number,
    stride: number,
    padding: number,
    [ho, wo]: number[],
  ): Value {
    const taps = kh * kw;
    const oneHot = new Array<number>(cin * taps * taps).fill(0);
    for (let c = 0; c < cin; c++) for (let t = 0; t < taps; t++) oneHot[(c * taps + t) * taps + t] = 1;
    return this.b.node(
      'Conv',
      [x, this.b.floats(oneHot, [cin * taps, 1, kh, kw])],
      {
        kernel_shape: [kh, kw],
        strides: [stride, stride],
        pads: [padding, padding, padding, padding],
        group: cin,
      },
      [x.shape[0]!, cin * taps, ho!, wo!],
    );
  }

  /**
   * A grouped convolution (`group` > 1, depthwise included), NCHW: onnxruntime's NCHWc convolution
   * takes only whole or fully depthwise filters, and weightscape's blocked filter reorders only
   * whole ones, so grouped convolutions stay plain.
   */
  convolveGrouped(
    input: Value,
    filter: ConvFilter,
    bias: Value | undefined,
    stride: number,
    padding: number,
    group: number,
  ): Value {
    const [n, , h, wd] = input.shape as [number, number, number, number];
    const [cout, , kh, kw] = filter.shape;
    const x = this.layout.plain(input);
    return this.b.node(
      'Conv',
      bias === undefined ? [x, filter.oihw()] : [x, filter.oihw(), bias],
      { kernel_shape: [kh, kw], strides: [stride, stride], pads: [padding, padding, padding, padding], group },
      [n, cout, Math.floor((h + 2 * padding - kh) / stride) + 1, Math.floor((wd + 2 * padding - kw) / stride) + 1],
    );
  }

  /** ∂/∂x of a (grouped) convolution: the transposed convolution with the same filter and groups. */
  groupedInputGradient(
    dy: Value,
    filter: ConvFilter,
    xShape: number[],
    stride: number,
    padding: number,
    group: number,
  ): Value {
    const [, , kh, kw] = filter.shape;
    const outputPadding = [2, 3].map(
      (axis, i) => xShape[axis]! - ((dy.shape[axis]! - 1) * stride - 2 * padding + [kh, kw][i]!),
    );
    return this.b.node(
      'ConvTranspose',
      [this.layout.plain(dy), filter.oihw()],
      {
        kernel_shape: [kh, kw],
        strides: [stride, stride],
        pads: [padding, padding, padding, padding],
        output_padding: outputPadding,
        group,
      },
      xShape,
    );
  }

  /**
   * ∂/∂w of a grouped convolution (dy and x in NCHW): the input's patches as in weightGradient,
   * multiplied by the output gradient group by group (one batched product), in tfjs's HWIO layout
   * [kh, kw, in/groups, out].
   */
  groupedWeightGradient(
    dy: Value,
    x: Value,
    filterShape: ConvFilter['shape'],
    stride: number,
    padding: number,
    group: number,
  ): Value {
    const [cout, groupChannels, kh, kw] = filterShape;
    const cin = groupChannels * group;
    const multiplier = cout / group;
    const [n, ho, wo] = [x.shape[0]!, dy.shape[2]!, dy.shape[3]!];
    const taps = kh * kw;
    const patches = this.patches(x, cin, kh, kw, stride, padding, [ho, wo]);
    const rows = this.b.reshape(patches, [n, group, groupChannels * taps, ho * wo]);
    const dyColumns = this.b.transpose(this.b.reshape(dy, [n, group, multiplier, ho * wo]), [0, 1, 3, 2]);
    const perExample = this.b.node('MatMul', [rows, dyColumns], {}, [n, group, groupChannels * taps, multiplier]);
    const product = this.b.reduceSum(perExample, [0], false);
    // [G, I, kh, kw, M] → [kh, kw, I, G, M]: output channel g·M + m.
    const ordered = this.b.transpose(
      this.b.reshape(product, [group, groupChannels, kh, kw, multiplier]),
      [2, 3, 1, 0, 4],
    );
    return this.b.reshape(ordered, [kh, kw, groupChannels, cout]);
  }
}
