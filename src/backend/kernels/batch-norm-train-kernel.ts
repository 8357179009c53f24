/**
 * Train-mode BatchNorm (batch statistics, per last-axis channel) as two WASM-backend kernels
 * written in JavaScript over the backend's heap: the forward pass returns y and the batch's mean
 * and biased variance (two passes over x: shifted sums, then y); the gradient returns
 * ∂x, ∂scale and ∂offset (two passes: the two channel sums, then ∂x). Composed from tfjs ops the
 * same work took many passes (Sum over leading axes transposes first; docs/engine-notes.md).
 * Sums are accumulated in float64.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { affineMap, pairedSums } from './channel-loops.ts';
import { float32View, type WasmHeapBackend, type KernelArgs } from './wasm-heap.ts';

export const BATCH_NORM_TRAIN = 'WeightscapeBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'WeightscapeBatchNormTrainGrad';

export interface BatchNormTrainAttrs {
  epsilon: number;
}

function batchNormTrainForward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const heap = backend as WasmHeapBackend;
  const { x, scale, offset } = inputs as { x: TensorInfo; scale: TensorInfo; offset: TensorInfo };
  const { epsilon } = attrs as unknown as BatchNormTrainAttrs;
  const channels = x.shape[x.shape.length - 1]!;
  const y = heap.makeOutput(x.shape, 'float32');
  const meanOut = heap.makeOutput([channels], 'float32');
  const varianceOut = heap.makeOutput([channels], 'float32');
  // Views after the last allocation: growing the heap replaces its buffer.
  const xs = float32View(heap, x);
  const count = xs.length / channels;
  // Sums shifted by the first row (near the mean): one pass, without the cancellation of Σx² − (Σx)²/M.
  const shift = xs.slice(0, channels);
  const { first, products } = pairedSums(xs, shift, xs, shift, channels);
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  const a = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const shiftedMean = first[c]! / count;
    mean[c] = shift[c]! + shiftedMean;
    variance[c] = Math.max(products[c]! / count - shiftedMean * shiftedMean, 0);
  }
  const gamma = float32View(heap, scale);
  for (let c = 0; c < channels; c++) a[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
  // y = scale·rstd·(x − μ) + offset.
  affineMap(float32View(heap, y), xs, mean, a, xs, new Float32Array(channels), float32View(heap, offset), channels);
  float32View(heap, meanOut).set(mean);
  float32View(heap, varianceOut).set(variance);
  return [y, meanOut, varianceOut];
}

/**
 * With x̂ = (x − μ)·rstd and M values per channel: ∂scale = Σ dy·x̂, ∂offset = Σ dy,
 * ∂x = scale·rstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M), computed as p·dy − q·(x − μ) + r per channel.
 */
function batchNormTrainGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const heap = backend as WasmHeapBackend;
  const { x, dy, mean, variance, scale } = inputs as Record<'x' | 'dy' | 'mean' | 'variance' | 'scale', TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormTrainAttrs;
  const channels = x.shape[x.shape.length - 1]!;
  const dxOut = heap.makeOutput(x.shape, 'float32');
  const dScaleOut = heap.makeOutput([channels], 'float32');
  const dOffsetOut = heap.makeOutput([channels], 'float32');
  const xs = float32View(heap, x);
  const dys = float32View(heap, dy);
  const mu = float32View(heap, mean);
  const sigma2 = float32View(heap, variance);
  const gamma = float32View(heap, scale);
  const count = xs.length / channels;
  const zeros = new Float32Array(channels);
  const { first: sumDy, products: sumDyCentered } = pairedSums(dys, zeros, xs, mu, channels);
  const p = new Float32Array(channels);
  const minusQ = new Float32Array(channels);
  const r = new Float32Array(channels);
  const dScale = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const rstd = 1 / Math.sqrt(sigma2[c]! + epsilon);
    const sumDyXHat = sumDyCentered[c]! * rstd;
    dScale[c] = sumDyXHat;
    p[c] = gamma[c]! * rstd;
    minusQ[c] = (-p[c]! * rstd * sumDyXHat) / count;
    r[c] = (-p[c]! * sumDy[c]!) / count;
  }
  affineMap(float32View(heap, dxOut), xs, mu, minusQ, dys, p, r, channels);
  float32View(heap, dScaleOut).set(dScale);
  float32View(heap, dOffsetOut).set(sumDy);
  return [dxOut, dScaleOut, dOffsetOut];
}

export const batchNormTrainKernel: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: batchNormTrainForward as KernelConfig['kernelFunc'],
};

export const batchNormTrainGradKernel: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: batchNormTrainGrad as KernelConfig['kernelFunc'],
};
