/**
 * Float64 reference implementations in plain JavaScript, written independently of tfjs, so that
 * finite differences of them give gradients accurate to ~1e-9.
 * Layouts: NHWC activations, HWIO filters, row-major flat arrays.
 */

export interface Array4 {
  shape: [number, number, number, number];
  data: Float64Array;
}

export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Output size of a convolution/pooling axis with explicit padding (floor rounding). */
export function outSize(inSize: number, kernel: number, stride: number, padBefore: number, padAfter: number): number {
  return Math.floor((inSize + padBefore + padAfter - kernel) / stride) + 1;
}

/** TensorFlow's 'same' padding: total = max((out − 1)·s + k − in, 0), the smaller half before. */
export function samePadding(inH: number, inW: number, kh: number, kw: number, sh: number, sw: number): Padding {
  const outH = Math.ceil(inH / sh);
  const outW = Math.ceil(inW / sw);
  const totalH = Math.max((outH - 1) * sh + kh - inH, 0);
  const totalW = Math.max((outW - 1) * sw + kw - inW, 0);
  return {
    top: Math.floor(totalH / 2),
    bottom: totalH - Math.floor(totalH / 2),
    left: Math.floor(totalW / 2),
    right: totalW - Math.floor(totalW / 2),
  };
}

export function conv2d(x: Array4, w: Array4, stride: [number, number], pad: Padding): Array4 {
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, wcin, cout] = w.shape;
  if (wcin !== cin) throw new Error('conv2d reference: channel mismatch');
  const oh = outSize(h, kh, stride[0], pad.top, pad.bottom);
  const ow = outSize(wd, kw, stride[1], pad.left, pad.right);
  const out = new Float64Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < cout; o++) {
          let acc = 0;
          for (let p = 0; p < kh; p++) {
            const r = i * stride[0] - pad.top + p;
            if (r < 0 || r >= h) continue;
            for (let q = 0; q < kw; q++) {
              const c = j * stride[1] - pad.left + q;
              if (c < 0 || c >= wd) continue;
              for (let k = 0; k < cin; k++) {
                acc += x.data[((b * h + r) * wd + c) * cin + k]! * w.data[((p * kw + q) * cin + k) * cout + o]!;
              }
            }
          }
          out[((b * oh + i) * ow + j) * cout + o] = acc;
        }
  return { shape: [n, oh, ow, cout], data: out };
}

/** Pooling: `reduce` of each window's values inside the image, in row-major window order (padding left out). */
function pool(
  x: Array4,
  size: [number, number],
  stride: [number, number],
  pad: Padding,
  reduce: (values: number[]) => number,
): Array4 {
  const [n, h, wd, c] = x.shape;
  const oh = outSize(h, size[0], stride[0], pad.top, pad.bottom);
  const ow = outSize(wd, size[1], stride[1], pad.left, pad.right);
  const out = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let k = 0; k < c; k++) {
          const values: number[] = [];
          for (let p = 0; p < size[0]; p++)
            for (let q = 0; q < size[1]; q++) {
              const r = i * stride[0] - pad.top + p;
              const s = j * stride[1] - pad.left + q;
              if (r >= 0 && r < h && s >= 0 && s < wd) values.push(x.data[((b * h + r) * wd + s) * c + k]!);
            }
          out[((b * oh + i) * ow + j) * c + k] = reduce(values);
        }
  return { shape: [n, oh, ow, c], data: out };
}

/** Max pooling; padded positions never win. */
export function maxPool(x: Array4, size: [number, number], stride: [number, number], pad: Padding): Array4 {
  return pool(x, size, stride, pad, (values) => values.reduce((best, v) => Math.max(best, v), -Infinity));
}

/** Average pooling over valid windows (no padding). */
export function avgPool(x: Array4, size: [number, number], stride: [number, number]): Array4 {
  const noPadding = { top: 0, bottom: 0, left: 0, right: 0 };
  return pool(x, size, stride, noPadding, (values) => values.reduce((a, v) => a + v, 0) / (size[0] * size[1]));
}

/** op(a)·op(b) for 2-D row-major matrices given with their stored shapes. */
export function matMul(
  a: Float64Array,
  aShape: [number, number],
  b: Float64Array,
  bShape: [number, number],
  transposeA: boolean,
  transposeB: boolean,
): { data: Float64Array; shape: [number, number] } {
  const [m, k] = transposeA ? [aShape[1], aShape[0]] : aShape;
  const [k2, n] = transposeB ? [bShape[1], bShape[0]] : bShape;
  if (k !== k2) throw new Error('matMul reference: inner dimensions differ');
  const at = (i: number, j: number) => (transposeA ? a[j * aShape[1] + i]! : a[i * aShape[1] + j]!);
  const bt = (i: number, j: number) => (transposeB ? b[j * bShape[1] + i]! : b[i * bShape[1] + j]!);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += at(i, p) * bt(p, j);
      out[i * n + j] = acc;
    }
  return { data: out, shape: [m, n] };
}

/** Batch normalization with given per-channel statistics (last axis). */
export function batchNorm(
  x: Float64Array,
  channels: number,
  mean: Float64Array,
  variance: Float64Array,
  offset: Float64Array,
  scale: Float64Array,
  epsilon: number,
): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    out[i] = ((x[i]! - mean[c]!) / Math.sqrt(variance[c]! + epsilon)) * scale[c]! + offset[c]!;
  }
  return out;
}

/** Per-channel mean and biased variance over all but the last axis (BatchNorm's train mode). */
export function channelMoments(x: Float64Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const count = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) mean[i % channels]! += x[i]! / count;
  for (let i = 0; i < x.length; i++) variance[i % channels]! += (x[i]! - mean[i % channels]!) ** 2 / count;
  return { mean, variance };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i]! * b[i]!;
  return acc;
}

/**
 * Central-difference gradient of a float64 scalar function with respect to every element of `at`.
 * `f` must not keep `at`; it is perturbed in place and restored.
 */
export function finiteDifferenceGradient(f: (v: Float64Array) => number, at: Float64Array, step = 1e-5): Float64Array {
  const grad = new Float64Array(at.length);
  for (let i = 0; i < at.length; i++) {
    const saved = at[i]!;
    at[i] = saved + step;
    const up = f(at);
    at[i] = saved - step;
    const down = f(at);
    at[i] = saved;
    grad[i] = (up - down) / (2 * step);
  }
  return grad;
}

/** max |actual − expected| / max |expected| (or the absolute error when expected is all zeros). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** ‖actual − expected‖₂ / ‖expected‖₂. */
export function l2RelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    ref += expected[i]! ** 2;
  }
  return Math.sqrt(diff / Math.max(ref, 1e-30));
}

/** Deterministic pseudo-random normals (mulberry32 + Box–Muller), so tests need no global seed. */
export function seededNormals(count: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const u = Math.max(uniform(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}
