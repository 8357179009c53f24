/**
 * Eval-mode BatchNorm on WASM as one JavaScript pass over the heap: y = (x − mean)·a + offset
 * with a = scale·rsqrt(variance + ε) per last-axis channel, about twice as fast as
 * tfjs-backend-wasm 4.22's FusedBatchNorm (docs/engine-notes.md). Statistics of other shapes go
 * to the kernel it replaces.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { affineMap } from './channel-loops.ts';
import { float32View, type WasmHeapBackend } from './wasm-heap.ts';

/** Per-channel values of an optional statistic: [C] as is, a scalar repeated, absent as `missing`. */
function perChannel(heap: WasmHeapBackend, t: TensorInfo | undefined, channels: number, missing: number): Float32Array {
  if (t === undefined || t === null) return new Float32Array(channels).fill(missing);
  const values = float32View(heap, t);
  return values.length === 1 ? new Float32Array(channels).fill(values[0]!) : values.slice();
}

function isPerChannel(t: TensorInfo | undefined, channels: number): boolean {
  if (t === undefined || t === null) return true;
  const size = t.shape.reduce((a, b) => a * b, 1);
  return t.dtype === 'float32' && (size === 1 || (t.shape.length === 1 && t.shape[0] === channels));
}

export function fusedBatchNormKernel(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: NamedTensorInfoMap;
    backend: unknown;
    attrs?: Record<string, unknown>;
  }): TensorInfo => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<
      'x' | 'mean' | 'variance' | 'offset' | 'scale',
      TensorInfo | undefined
    >;
    const channels = x!.shape[x!.shape.length - 1] ?? 1;
    if (x!.dtype !== 'float32' || ![mean, variance, offset, scale].every((t) => isPerChannel(t, channels))) {
      return original.kernelFunc(args as Parameters<KernelFunc>[0]) as TensorInfo;
    }
    const heap = args.backend as WasmHeapBackend;
    const epsilon = (args.attrs as { varianceEpsilon: number }).varianceEpsilon;
    const out = heap.makeOutput(x!.shape, 'float32');
    const mu = perChannel(heap, mean, channels, 0);
    const sigma2 = perChannel(heap, variance, channels, 1);
    const gamma = perChannel(heap, scale, channels, 1);
    const beta = perChannel(heap, offset, channels, 0);
    const a = gamma.map((g, c) => g / Math.sqrt(sigma2[c]! + epsilon));
    const xs = float32View(heap, x!);
    affineMap(float32View(heap, out), xs, mu, a, xs, new Float32Array(channels), beta, channels);
    return out;
  };
  // setupFunc: the replaced kernel's setup must still run when the backend is initialized again.
  return {
    kernelName: tf.FusedBatchNorm,
    backendName: 'wasm',
    kernelFunc: kernelFunc as KernelFunc,
    setupFunc: original.setupFunc,
  };
}
