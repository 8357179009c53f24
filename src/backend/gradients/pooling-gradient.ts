/**
 * Pooling gradients from forward kernels.
 * Max pooling: tfjs-backend-wasm 4.22's MaxPoolGrad and MaxPoolWithArgmax return wrong positions
 * (the gradient fails finite differences), so the gradient is rebuilt from strided slices: one
 * pass per window offset, each window's gradient to its first maximum (as PyTorch and the tfjs
 * cpu backend do at exact ties).
 * Average pooling over non-overlapping windows: a broadcast multiply, 3× faster on WASM than its
 * AvgPoolGrad kernel (and 20× faster than spreading dy with tile).
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { interleaveZeros, padOrCrop, stridedSample } from './spatial.ts';

function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

/**
 * ∂L/∂x of y = maxPool(x): for each offset (p, q) inside the window, the input pixels at that
 * offset of every window are a strided slice; those equal to the window's maximum, and not
 * claimed by an earlier offset, receive dy.
 */
export function maxPoolInputGradient(x: Tensor4D, y: Tensor4D, dy: Tensor4D, filterSize: number | [number, number],
  strides: number | [number, number], pad: 'valid' | 'same' | number,
  roundingMode?: 'floor' | 'round' | 'ceil'): Tensor4D {
  if (tilesExactly(x, filterSize, strides, pad)) return tiledMaxPoolInputGradient(x, y, dy, pair(filterSize));
  return tf.tidy(() => {
    const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, roundingMode);
    const { top, left } = info.padInfo;
    const [n, h, w, c] = x.shape;
    const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
    // Extent that the windows' offsets read, from −top on; padded cells hold −∞ so they never win.
    const paddedHeight = Math.max(h + top, fh - 1 + sh * oh);
    const paddedWidth = Math.max(w + left, fw - 1 + sw * ow);
    const padded = padOrCrop(x, [top, paddedHeight - top - h, left, paddedWidth - left - w], -Infinity);
    let claimed: Tensor = tf.zeros(y.shape);
    const contributions: Tensor4D[] = [];
    for (let p = 0; p < fh; p++) {
      for (let q = 0; q < fw; q++) {
        const atOffset = stridedSample(padded, [p, q], [sh, sw], [oh, ow], -Infinity);
        const wins = tf.mul(tf.cast(tf.equal(atOffset, y), 'float32'), tf.sub(1, claimed));
        claimed = tf.add(claimed, wins);
        const spread = interleaveZeros(tf.mul(dy, wins) as Tensor4D, sh, sw);
        contributions.push(padOrCrop(spread, [p, paddedHeight - p - spread.shape[1], q, paddedWidth - q - spread.shape[2]]));
      }
    }
    const total = contributions.length === 1 ? contributions[0]! : (tf.addN(contributions) as Tensor4D);
    return padOrCrop(total, [-top, h + top - paddedHeight, -left, w + left - paddedWidth]);
  });
}

/**
 * The same for windows that tile the input: x viewed as [N·OH, fh, OW, fw·C] holds window offset
 * (p, q) at [:, p, :, q·C…(q+1)·C]; each offset's share of dx is spread back to its phase.
 */
function tiledMaxPoolInputGradient(x: Tensor4D, y: Tensor4D, dy: Tensor4D, [fh, fw]: [number, number]): Tensor4D {
  return tf.tidy(() => {
    const [n, oh, ow, c] = y.shape;
    const blocks = tf.reshape(x, [n * oh, fh, ow, fw * c]);
    const max = tf.reshape(y, [n * oh, 1, ow, c]);
    let claimed: Tensor = tf.zeros(max.shape);
    const shares: Tensor4D[] = [];
    for (let p = 0; p < fh; p++) {
      for (let q = 0; q < fw; q++) {
        const atOffset = tf.slice(blocks, [0, p, 0, q * c], [n * oh, 1, ow, c]);
        const wins = tf.mul(tf.cast(tf.equal(atOffset, max), 'float32'), tf.sub(1, claimed));
        claimed = tf.add(claimed, wins);
        shares.push(interleaveZeros(tf.mul(dy, tf.reshape(wins, dy.shape)) as Tensor4D, fh, fw, p, q));
      }
    }
    return shares.length === 1 ? shares[0]! : (tf.addN(shares) as Tensor4D);
  });
}

/** Whether windows tile the input exactly: no overlap, no padding, no remainder. */
function tilesExactly(x: Tensor4D, filterSize: number | [number, number], strides: number | [number, number], pad: unknown): boolean {
  const [fh, fw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  return fh === sh && fw === sw && (pad === 'valid' || pad === 0) && x.shape[1] % fh === 0 && x.shape[2] % fw === 0;
}

/** ∂L/∂x of average pooling over windows that tile the input: dy / (fh·fw) spread over each window. */
export function avgPoolTiledInputGradient(xShape: [number, number, number, number], dy: Tensor4D,
  filterSize: number | [number, number]): Tensor4D {
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
    outputsToSave: [true],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, y] = saved as [Tensor4D, Tensor4D];
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
      return { x: () => maxPoolInputGradient(x, y, dy as Tensor4D, filterSize, strides, pad as 'valid' | 'same' | number, dimRoundingMode) };
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
