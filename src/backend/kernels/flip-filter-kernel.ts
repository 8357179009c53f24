/**
 * The filter of a convolution's input gradient, in one small JS kernel: the taps of one stride
 * phase (r, r + s, …), spatially reversed, with input and output channels swapped:
 * out[a, b, o, i] = filter[rh + sh·(th − 1 − a), rw + sw·(tw − 1 − b), i, o].
 * Composed from StridedSlice, Reverse and Transpose it was a sizeable part of an attack step on
 * WASM (docs/engine-notes.md).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { float32View, type WasmHeapBackend, type KernelArgs } from './wasm-heap.ts';

export const FLIP_FILTER = 'WeightscapeFlipFilter';

export interface FlipFilterAttrs {
  rowPhase: number;
  colPhase: number;
  strideHeight: number;
  strideWidth: number;
}

/** Taps of phase r of a k-tap axis with stride s. */
export function phaseTaps(kernelSize: number, phase: number, stride: number): number {
  return Math.max(0, Math.ceil((kernelSize - phase) / stride));
}

function flipFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const heap = backend as WasmHeapBackend;
  const { filter } = inputs as { filter: TensorInfo };
  const { rowPhase, colPhase, strideHeight, strideWidth } = attrs as unknown as FlipFilterAttrs;
  const [kh, kw, inChannels, outChannels] = filter.shape as [number, number, number, number];
  const th = phaseTaps(kh, rowPhase, strideHeight);
  const tw = phaseTaps(kw, colPhase, strideWidth);
  const out = heap.makeOutput([th, tw, outChannels, inChannels], 'float32');
  const source = float32View(heap, filter);
  const target = float32View(heap, out);
  for (let a = 0; a < th; a++) {
    const row = rowPhase + strideHeight * (th - 1 - a);
    for (let b = 0; b < tw; b++) {
      const col = colPhase + strideWidth * (tw - 1 - b);
      const sourceBase = (row * kw + col) * inChannels * outChannels;
      const targetBase = (a * tw + b) * outChannels * inChannels;
      for (let i = 0; i < inChannels; i++) {
        for (let o = 0; o < outChannels; o++)
          target[targetBase + o * inChannels + i] = source[sourceBase + i * outChannels + o]!;
      }
    }
  }
  return out;
}

export const flipFilterKernel: KernelConfig = {
  kernelName: FLIP_FILTER,
  backendName: 'wasm',
  kernelFunc: flipFilter as KernelConfig['kernelFunc'],
};
