/**
 * Which values of a graph live in onnxruntime's blocked NCHWc layout, and the conversions and
 * per-channel operations that respect it. A blocked value keeps its logical NCHW shape; its
 * memory is [N, C/B, H, W, B]. Elementwise operations between values of one layout need nothing;
 * per-channel ones work on that 5-D view, or run as a depthwise NCHWc convolution (one pass, as
 * onnxruntime's optimizer turns a constant BatchNormalization into). Keeping the activations
 * blocked from one convolution to the next saves the two reorders each convolution would cost.
 */
import type { GraphBuilder, Value } from './graph-builder.ts';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/** An absent optional input. */
const NONE: Value = { name: '', shape: [] };

export class NchwcLayout {
  private readonly blockedNames = new Set<string>();
  private readonly blockedCopies = new Map<string, Value>();
  private readonly plainCopies = new Map<string, Value>();

  constructor(
    private readonly b: GraphBuilder,
    readonly block: number | undefined,
  ) {}

  isBlocked(v: Value): boolean {
    return this.blockedNames.has(v.name);
  }

  /** Records that `v` was made in the blocked layout; returns it. */
  blocked(v: Value): Value {
    this.blockedNames.add(v.name);
    return v;
  }

  /** Whether a 4-D value's channels come in whole blocks. */
  blockable(v: Value): boolean {
    return this.block !== undefined && v.shape.length === 4 && v.shape[1]! % this.block === 0;
  }

  /** `v` in NCHW (one reorder per value, shared by its consumers). */
  plain(v: Value): Value {
    if (!this.isBlocked(v)) return v;
    let copy = this.plainCopies.get(v.name);
    if (copy === undefined) {
      copy = this.b.domainNode(NCHWC_DOMAIN, 'ReorderOutput', [v], { channels: v.shape[1]! }, v.shape);
      this.plainCopies.set(v.name, copy);
    }
    return copy;
  }

  /** `v` in NCHWc (it must be blockable). */
  toBlocked(v: Value): Value {
    if (this.isBlocked(v)) return v;
    let copy = this.blockedCopies.get(v.name);
    if (copy === undefined) {
      copy = this.blocked(this.b.domainNode(NCHWC_DOMAIN, 'ReorderInput', [v], {}, v.shape));
      this.blockedCopies.set(v.name, copy);
    }
    return copy;
  }

  /** `g` in the layout of `like` (a gradient in its value's layout). */
  as(g: Value, like: Value): Value {
    if (this.isBlocked(g) === this.isBlocked(like)) return g;
    return this.isBlocked(like) ? this.toBlocked(g) : this.plain(g);
  }

  /** An elementwise node whose output has its inputs' (common) layout. */
  elementwise(op: string, inputs: Value[], shape: number[]): Value {
    const out = this.b.node(op, inputs, {}, shape);
    return inputs.some((v) => this.isBlocked(v)) ? this.blocked(out) : out;
  }

  /** The 5-D view [N, C/B, H, W, B] of a blocked value. */
  private view(v: Value): Value {
    const [n, c, h, w] = v.shape as [number, number, number, number];
    return this.b.reshape(v, [n, c / this.block!, h, w, this.block!]);
  }

  /**
   * Σ over N, H and W per channel ([C]). Blocked: over H·W first, then N (onnxruntime's fast
   * reductions cover a contiguous reduced block, not two interleaved ones).
   */
  channelSum(v: Value, op: 'ReduceSum' | 'ReduceSumSquare' = 'ReduceSum'): Value {
    const c = v.shape[1]!;
    if (!this.isBlocked(v)) return this.reduce(op, v, [0, 2, 3], [c]);
    const view = this.view(v);
    const [n, cb, , , block] = view.shape as [number, number, number, number, number];
    const spatial = this.reduce(op, view, [2, 3], [n, cb, block]);
    return this.b.reshape(this.reduce('ReduceSum', spatial, [0], [cb, block]), [c]);
  }

  private reduce(op: 'ReduceSum' | 'ReduceSumSquare', v: Value, axes: number[], shape: number[]): Value {
    // Opset 17: ReduceSum takes its axes as an input, ReduceSumSquare as an attribute.
    return op === 'ReduceSum'
      ? this.b.node('ReduceSum', [v, this.b.int64s(axes)], { keepdims: 0 }, shape)
      : this.b.node('ReduceSumSquare', [v], { axes, keepdims: 0 }, shape);
  }

  /** x − m per channel (m: [C]) of a blocked x, blocked. */
  subtractPerChannel(x: Value, m: Value): Value {
    const block = this.block!;
    const c = x.shape[1]!;
    const centered = this.b.binary('Sub', this.view(x), this.b.reshape(m, [1, c / block, 1, 1, block]));
    return this.blocked(this.b.reshape(centered, x.shape));
  }

  /**
   * scale·x + shift (+ sum) per channel of a blocked x, as one depthwise 1×1 NCHWc convolution
   * (scale, shift: [C]; sum: a blocked value of x's shape, added in the same pass).
   */
  affine(x: Value, scale: Value, shift?: Value, sum?: Value): Value {
    const c = x.shape[1]!;
    const inputs =
      sum !== undefined
        ? [x, this.b.reshape(scale, [c, 1, 1, 1]), shift ?? NONE, sum]
        : [x, this.b.reshape(scale, [c, 1, 1, 1]), ...(shift === undefined ? [] : [shift])];
    return this.blocked(this.b.domainNode(NCHWC_DOMAIN, 'Conv', inputs, { kernel_shape: [1, 1], group: c }, x.shape));
  }
}
