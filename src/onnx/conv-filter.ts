/**
 * A convolution's filter, made in the graph from the tfjs weight (HWIO) in the layout each
 * onnxruntime convolution takes: OIHW for Conv and ConvTranspose, and the blocked layouts of its
 * NCHWc convolution (MLAS's filter reorders): OIHWBiBo when the input channels come in whole
 * blocks, OIHWBo when there are fewer than 8 of them (the input then stays NCHW). Each layout is
 * one Transpose of the weight; a convolution asks for its blocked filter once, for OIHW up to twice
 * (its forward and a strided input gradient).
 */
import type { GraphBuilder, Value } from './graph-builder.ts';

export interface ConvFilter {
  /** [out, in, kh, kw] of the convolution this is the filter of. */
  shape: [number, number, number, number];
  oihw(): Value;
  /** The NCHWc filter for `block`, or undefined when the channels do not block. */
  blocked(block: number): BlockedFilter | undefined;
}

export interface BlockedFilter {
  filter: Value;
  /** Output channels it makes: the convolution's, or a whole block when they were fewer (zero filters). */
  outChannels: number;
}

/** Input channels below which NCHWc convolutions read an NCHW input (MLAS's NCHW algorithm). */
const NCHW_INPUT_CHANNELS = 8;

/** Whether a convolution with these channel counts runs in NCHWc with `block`. */
function blocks(cout: number, cin: number, block: number): boolean {
  return cout % block === 0 && (cin % block === 0 || cin < NCHW_INPUT_CHANNELS);
}

function memo<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** The filter of the convolution whose weight is `hwio` ([kh, kw, in, out]). */
export function forwardFilter(b: GraphBuilder, hwio: Value): ConvFilter {
  const [kh, kw, cin, cout] = hwio.shape as [number, number, number, number];
  const shape: ConvFilter['shape'] = [cout, cin, kh, kw];
  return {
    shape,
    oihw: memo(() => b.transpose(hwio, [3, 2, 0, 1])),
    blocked(block) {
      if (!blocks(cout, cin, block)) return undefined;
      const ordered =
        cin % block === 0
          ? // [kh, kw, I/B, Bi, O/B, Bo] → [O/B, I/B, kh, kw, Bi, Bo]
            b.transpose(b.reshape(hwio, [kh, kw, cin / block, block, cout / block, block]), [4, 2, 0, 1, 3, 5])
          : // [kh, kw, I, O/B, Bo] → [O/B, I, kh, kw, Bo]
            b.transpose(b.reshape(hwio, [kh, kw, cin, cout / block, block]), [3, 2, 0, 1, 4]);
      return { filter: b.reshape(ordered, shape), outChannels: cout };
    },
  };
}

/**
 * The filter of a stride-1 convolution's input gradient: the forward filter with its channel
 * axes swapped and reversed in space (out = the forward's in). A first layer's few input channels
 * (an image's 1 or 3) are padded to a block of zero filters: the blocked convolution that makes
 * them and the discarded zeros cost far less than onnxruntime's NCHW Conv of the same.
 */
export function flippedFilter(b: GraphBuilder, hwio: Value): ConvFilter {
  const [kh, kw, cin, cout] = hwio.shape as [number, number, number, number];
  const shape: ConvFilter['shape'] = [cin, cout, kh, kw];
  const reverseSpace = (v: Value) =>
    b.node(
      'Slice',
      [v, b.int64s([kh - 1, kw - 1]), b.int64s([-kh - 1, -kw - 1]), b.int64s([2, 3]), b.int64s([-1, -1])],
      {},
      v.shape,
    );
  return {
    shape,
    oihw: memo(() => reverseSpace(b.transpose(hwio, [2, 3, 0, 1]))),
    blocked(block) {
      const outChannels = cin < block ? block : cin;
      if (!blocks(outChannels, cout, block)) return undefined;
      const padded =
        outChannels === cin
          ? hwio
          : b.node('Pad', [hwio, b.int64s([0, 0, 0, 0, 0, 0, outChannels - cin, 0])], {}, [kh, kw, outChannels, cout]);
      const ordered =
        cout % block === 0
          ? // [kh, kw, O/B, Bo, I/B, Bi] (the gradient's out = forward in) → [O/B, I/B, kh, kw, Bi, Bo]
            b.transpose(
              b.reshape(padded, [kh, kw, outChannels / block, block, cout / block, block]),
              [2, 4, 0, 1, 5, 3],
            )
          : // [kh, kw, O/B, Bo, I] → [O/B, I, kh, kw, Bo]
            b.transpose(b.reshape(padded, [kh, kw, outChannels / block, block, cout]), [2, 4, 0, 1, 3]);
      return { filter: b.reshape(reverseSpace(ordered), [outChannels, cout, kh, kw]), outChannels };
    },
  };
}
