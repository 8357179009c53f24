/**
 * ∂L/∂x of max pooling as one WASM-backend kernel written in JavaScript over the backend's heap:
 * each window's dy goes to its first maximum in row-major order (PyTorch's and the tfjs cpu
 * backend's rule at exact ties); padded cells never win. tfjs-backend-wasm 4.22's MaxPoolGrad
 * returns wrong positions, and the same gradient composed from slices and comparisons made
 * many passes over the activations (docs/engine-notes.md).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { float32View, type WasmHeapBackend, type KernelArgs } from './wasm-heap.ts';

export const MAX_POOL_FIRST_MAX_GRAD = 'WeightscapeMaxPoolFirstMaxGrad';

export interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Whether a later cell takes the window's maximum: strictly greater keeps the first maximum; NaN wins as in PyTorch.
 */
function beats(value: number, best: number): boolean {
  return value > best || (value !== value && best === best);
}

function maxPoolFirstMaxGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const heap = backend as WasmHeapBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const out = heap.makeOutput(x.shape, 'float32');
  const xs = float32View(heap, x);
  const dys = float32View(heap, dy);
  const dx = float32View(heap, out);
  dx.fill(0);
  if (
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    top === 0 &&
    left === 0 &&
    2 * outHeight <= height &&
    2 * outWidth <= width
  ) {
    tiledTwoByTwo(xs, dys, dx, batch, height, width, channels, outHeight, outWidth);
    return out;
  }
  // Per window: the offsets of its cells inside the input (padding left out), then one channel at
  // a time with the running maximum in locals (arrays of per-channel maxima ran ~3× slower).
  const cells = new Int32Array(filterHeight * filterWidth);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        let count = 0;
        for (let p = 0; p < filterHeight; p++) {
          const row = y0 + p;
          if (row < 0 || row >= height) continue;
          for (let q = 0; q < filterWidth; q++) {
            const col = x0 + q;
            if (col >= 0 && col < width) cells[count++] = ((b * height + row) * width + col) * channels;
          }
        }
        if (count === 0) continue;
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          let best = xs[cells[0]! + c]!;
          let at = cells[0]! + c;
          for (let k = 1; k < count; k++) {
            const index = cells[k]! + c;
            const value = xs[index]!;
            if (beats(value, best)) {
              best = value;
              at = index;
            }
          }
          dx[at] = dx[at]! + dys[dyBase + c]!;
        }
      }
    }
  }
  return out;
}

/** The usual 2×2, stride-2 pooling without padding: four fixed cells per window. */
function tiledTwoByTwo(
  xs: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  batch: number,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): void {
  const rowStride = width * channels;
  let d = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, d += channels) {
        const c00 = ((b * height + 2 * oy) * width + 2 * ox) * channels;
        const c10 = c00 + rowStride;
        for (let c = 0; c < channels; c++) {
          // Row-major order: (0,0), (0,1), (1,0), (1,1).
          let at = c00 + c;
          let best = xs[at]!;
          const v01 = xs[at + channels]!;
          if (beats(v01, best)) {
            best = v01;
            at = c00 + channels + c;
          }
          const v10 = xs[c10 + c]!;
          if (beats(v10, best)) {
            best = v10;
            at = c10 + c;
          }
          if (beats(xs[c10 + channels + c]!, best)) at = c10 + channels + c;
          dx[at] = dys[d + c]!;
        }
      }
    }
  }
}

export const maxPoolFirstMaxGradKernel: KernelConfig = {
  kernelName: MAX_POOL_FIRST_MAX_GRAD,
  backendName: 'wasm',
  kernelFunc: maxPoolFirstMaxGrad as KernelConfig['kernelFunc'],
};
