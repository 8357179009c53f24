/**
 * Pooling gradients on WASM.
 * Max pooling: tfjs-backend-wasm 4.22's MaxPoolGrad and MaxPoolWithArgmax return wrong positions
 * (the gradient fails finite differences); weightscape's own kernel replaces them.
 * Average pooling over non-overlapping windows: a broadcast multiply, faster on WASM than its
 * AvgPoolGrad kernel or spreading dy with tile (docs/engine-notes.md).
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { MAX_POOL_FIRST_MAX_GRAD, type MaxPoolGradAttrs } from '../kernels/max-pool-gradient-kernel.ts';

function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

/** ∂L/∂x of y = maxPool(x): each window's dy to its first maximum (one WASM-heap kernel). */
export function maxPoolInputGradient(x: Tensor4D, dy: Tensor4D, attrs: MaxPoolGradAttrs): Tensor4D {
  return tf.engine().runKernel(MAX_POOL_FIRST_MAX_GRAD, { x, dy }, attrs as unknown as NamedAttrMap) as Tensor4D;
}

/** Whether windows tile the input exactly: no overlap, no padding, no remainder. */
function tilesExactly(
  x: Tensor4D,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: unknown,
): boolean {
  const [fh, fw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  return fh === sh && fw === sw && (pad === 'valid' || pad === 0) && x.shape[1] % fh === 0 && x.shape[2] % fw === 0;
}

/** ∂L/∂x of average pooling over windows that tile the input: dy / (fh·fw) spread over each window. */
export function avgPoolTiledInputGradient(
  xShape: [number, number, number, number],
  dy: Tensor4D,
  filterSize: number | [number, number],
): Tensor4D {
  return tf.tidy(() => {
    const [fh, fw] = pair(filterSize);
    const [n, oh, ow, c] = dy.shape;
    const spread = tf.mul(tf.reshape(dy, [n, oh, 1, ow, 1, c]), tf.fill([1, 1, fh, 1, fw, 1], 1 / (fh * fw)));
    return tf.reshape(spread, xShape);
  });
}

function withFallback(fallback: GradConfig | undefined, what: string) {
  return (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    if (fallback === undefined) throw new Error(`${what} gradient: no default for this configuration`);
    return fallback.gradFunc(dy, saved, attrs);
  };
}

export function maxPoolGradConfig(): GradConfig {
  return {
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved as [Tensor4D];
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
      return {
        x: () =>
          maxPoolInputGradient(x, dy as Tensor4D, {
            filterSize,
            strides,
            pad: pad as 'valid' | 'same' | number,
            dimRoundingMode,
          }),
      };
    },
  };
}

export function avgPoolGradConfig(fallback: GradConfig | undefined): GradConfig {
  const useFallback = withFallback(fallback, 'avgPool');
  return {
    kernelName: tf.AvgPool,
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolAttrs;
      const x = saved[0] as Tensor4D;
      if (!tilesExactly(x, filterSize, strides, pad)) return useFallback(dy, saved, attrs);
      return { x: () => avgPoolTiledInputGradient(x.shape, dy as Tensor4D, filterSize) };
    },
  };
}
