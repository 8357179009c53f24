/**
 * The last step of a strided convolution's input gradient, in one JS kernel over the WASM heap:
 * the stride phases' results (each [N, rowsPerPhase, colsPerPhase, C], phase (rh, rw) holding the
 * padded-grid cells s·u + r) are interleaved and the padding cropped, writing dx once:
 * dx[n, i, j] = phase[(i + padTop) mod sh, (j + padLeft) mod sw][n, ⌊(i + padTop)/sh⌋, ⌊(j + padLeft)/sw⌋],
 * 0 where no filter tap reaches the phase. Composed from pads, AddN and a cropping Slice it made
 * s_h·s_w + 2 full-size passes (docs/engine-notes.md).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { float32View, type WasmHeapBackend, type KernelArgs } from './wasm-heap.ts';

export const PHASE_INTERLEAVE = 'WeightscapePhaseInterleave';

export interface PhaseInterleaveAttrs {
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  inHeight: number;
  inWidth: number;
}

/** The input name of phase (rh, rw); phases without taps are left out. */
export function phaseInputName(rowPhase: number, colPhase: number): string {
  return `phase${rowPhase}_${colPhase}`;
}

function phaseInterleave({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const heap = backend as WasmHeapBackend;
  const {
    strideHeight: sh,
    strideWidth: sw,
    padTop,
    padLeft,
    inHeight,
    inWidth,
  } = attrs as unknown as PhaseInterleaveAttrs;
  const present = Object.values(inputs as Record<string, TensorInfo>);
  if (present.length === 0) throw new Error('phase interleave: no phase given');
  const [batch, rows, cols, channels] = present[0]!.shape as [number, number, number, number];
  const out = heap.makeOutput([batch, inHeight, inWidth, channels], 'float32');
  const dx = float32View(heap, out);
  // Views after the allocation; null for phases no tap reaches.
  const phases: Array<Float32Array | null> = [];
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const t = (inputs as Record<string, TensorInfo | undefined>)[phaseInputName(rh, rw)];
      phases.push(t === undefined ? null : float32View(heap, t));
    }
  }
  const phaseRow = cols * channels;
  const phaseImage = rows * phaseRow;
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < inHeight; i++) {
      const rh = (i + padTop) % sh;
      const rowBase = n * phaseImage + Math.floor((i + padTop) / sh) * phaseRow;
      for (let j = 0; j < inWidth; j++, o += channels) {
        const source = phases[rh * sw + ((j + padLeft) % sw)]!;
        if (source === null) {
          dx.fill(0, o, o + channels);
          continue;
        }
        const s = rowBase + Math.floor((j + padLeft) / sw) * channels;
        for (let c = 0; c < channels; c++) dx[o + c] = source[s + c]!;
      }
    }
  }
  return out;
}

export const phaseInterleaveKernel: KernelConfig = {
  kernelName: PHASE_INTERLEAVE,
  backendName: 'wasm',
  kernelFunc: phaseInterleave as KernelConfig['kernelFunc'],
};
