/**
 * ∂L/∂x of max pooling as one WASM-backend kernel written in JavaScript over the backend's heap:
 * each window's dy goes to its first maximum in row-major order (PyTorch's and the tfjs cpu
 * backend's rule at exact ties); padded cells never win. tfjs-backend-wasm 4.22's MaxPoolGrad
 * returns wrong positions, and the same gradient composed from slices and comparisons made
 * ~20 passes over the activations (a sixth of a convnet attack step).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { float32View, type WasmHeapBackend } from './wasm-heap.ts';

export const MAX_POOL_FIRST_MAX_GRAD = 'WeightscapeMaxPoolFirstMaxGrad';

export interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPoolFirstMaxGrad({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const heap = backend as WasmHeapBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const out = heap.makeOutput(x.shape, 'float32');
  const xs = float32View(heap, x);
  const dys = float32View(heap, dy);
  const dx = float32View(heap, out);
  dx.fill(0);
  const best = new Float32Array(channels);
  const at = new Int32Array(channels);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        best.fill(-Infinity);
        at.fill(-1);
        for (let p = 0; p < filterHeight; p++) {
          const row = y0 + p;
          if (row < 0 || row >= height) continue;
          for (let q = 0; q < filterWidth; q++) {
            const col = x0 + q;
            if (col < 0 || col >= width) continue;
            const base = ((b * height + row) * width + col) * channels;
            for (let c = 0; c < channels; c++) {
              const value = xs[base + c]!;
              // Strictly greater keeps the first maximum; NaN wins as in PyTorch.
              if (value > best[c]! || (value !== value && best[c] === best[c])) { best[c] = value; at[c] = base + c; }
            }
          }
        }
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          const index = at[c]!;
          if (index >= 0) dx[index] = dx[index]! + dys[dyBase + c]!;
        }
      }
    }
  }
  return out;
}

export const maxPoolFirstMaxGradKernel: KernelConfig = {
  kernelName: MAX_POOL_FIRST_MAX_GRAD,
  backendName: 'wasm',
  kernelFunc: maxPoolFirstMaxGrad as KernelConfig['kernelFunc'],
};
