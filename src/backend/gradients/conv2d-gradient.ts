/**
 * Conv2D gradients written as forward convolutions: on the WASM backend the forward conv is an
 * order of magnitude faster than Conv2DBackpropInput, and Conv2DBackpropFilter is missing
 * (figures: docs/engine-notes.md).
 * Layout: x NHWC, filter HWIO (the tfjs convention), dilations 1.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { padOrCrop, stridedSample } from './spatial.ts';
import { FLIP_FILTER, phaseTaps, type FlipFilterAttrs } from '../kernels/flip-filter-kernel.ts';
import { PHASE_INTERLEAVE, phaseInputName, type PhaseInterleaveAttrs } from '../kernels/phase-interleave-kernel.ts';

type Conv2DPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** Strides, leading padding and input size (what the phase interleave needs), and the rest. */
interface Conv2DGeometry extends PhaseInterleaveAttrs {
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
}

function geometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Conv2DPad,
  roundingMode?: 'floor' | 'round' | 'ceil',
): Conv2DGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    roundingMode,
  );
  return {
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
  };
}

/**
 * ∂L/∂x of y = conv2d(x, filter): a stride-1 'valid' convolution of the padded dy with the
 * spatially reversed filter whose in/out channels are swapped (per phase when strided).
 */
export function conv2dInputGradient(
  xShape: number[],
  dy: Tensor4D,
  filter: Tensor4D,
  strides: number | [number, number],
  pad: Conv2DPad,
  roundingMode?: 'floor' | 'round' | 'ceil',
): Tensor4D {
  return tf.tidy(() => {
    const g = geometry(xShape, filter.shape, strides, pad, roundingMode);
    if (g.strideHeight > 1 || g.strideWidth > 1) return polyphaseInputGradient(dy, filter, g);
    // The full correlation needs (k − 1 − pad) zeros before; after, whatever makes the output H×W.
    const top = g.filterHeight - 1 - g.padTop;
    const left = g.filterWidth - 1 - g.padLeft;
    const bottom = g.inHeight + g.filterHeight - 1 - top - dy.shape[1];
    const right = g.inWidth + g.filterWidth - 1 - left - dy.shape[2];
    return correlateWithBorder(dy, flippedFilter(filter, 0, 0, 1, 1), [top, bottom, left, right]);
  });
}

/**
 * A stride-1 correlation of x bordered by [top, bottom, left, right] zeros (negative: cropped).
 * Zero borders go to the convolution as explicit padding, which XNNPACK applies without the
 * full-size copy that a pad makes (~2 ms per 32×32×16 activation batch on WASM).
 */
function correlateWithBorder(x: Tensor4D, filter: Tensor4D, border: [number, number, number, number]): Tensor4D {
  const cropped = padOrCrop(x, border.map((amount) => Math.min(amount, 0)) as [number, number, number, number]);
  const [top, bottom, left, right] = border.map((amount) => Math.max(amount, 0)) as [number, number, number, number];
  return tf.conv2d(cropped, filter, 1, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
}

/** The taps of one stride phase, spatially reversed, in/out channels swapped (one WASM kernel). */
function flippedFilter(
  filter: Tensor4D,
  rowPhase: number,
  colPhase: number,
  strideHeight: number,
  strideWidth: number,
): Tensor4D {
  const attrs: FlipFilterAttrs = { rowPhase, colPhase, strideHeight, strideWidth };
  return tf.engine().runKernel(FLIP_FILTER, { filter }, attrs as unknown as NamedAttrMap) as Tensor4D;
}

/**
 * The input gradient of a strided convolution without convolving zeros. In padded coordinates
 * i' = s·u + r, dx[i'] = Σ_m dy[u − m]·W[r + s·m]: for each phase r a stride-1 convolution of dy
 * with the sub-filter of taps r, r + s, …; the s_h·s_w phases are then interleaved (one kernel).
 */
function polyphaseInputGradient(dy: Tensor4D, filter: Tensor4D, g: Conv2DGeometry): Tensor4D {
  const [, outHeight, outWidth] = dy.shape;
  const [kh, kw] = filter.shape;
  const { strideHeight: sh, strideWidth: sw } = g;
  const rowsPerPhase = Math.ceil((g.inHeight + g.padTop) / sh);
  const colsPerPhase = Math.ceil((g.inWidth + g.padLeft) / sw);
  const phases: Record<string, Tensor4D> = {};
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const tapsHeight = phaseTaps(kh, rh, sh);
      const tapsWidth = phaseTaps(kw, rw, sw);
      if (tapsHeight <= 0 || tapsWidth <= 0) continue; // no tap reaches this phase: its dx is 0
      const flipped = flippedFilter(filter, rh, rw, sh, sw);
      phases[phaseInputName(rh, rw)] = correlateWithBorder(dy, flipped, [
        tapsHeight - 1,
        rowsPerPhase - outHeight,
        tapsWidth - 1,
        colsPerPhase - outWidth,
      ]);
    }
  }
  const attrs: PhaseInterleaveAttrs = {
    strideHeight: sh,
    strideWidth: sw,
    padTop: g.padTop,
    padLeft: g.padLeft,
    inHeight: g.inHeight,
    inWidth: g.inWidth,
  };
  return tf.engine().runKernel(PHASE_INTERLEAVE, phases, attrs as unknown as NamedAttrMap) as Tensor4D;
}

/**
 * ∂L/∂filter of y = conv2d(x, filter): treat input channels as the batch and the batch as channels,
 * then correlate the padded input with dy dilated by the stride.
 */
export function conv2dFilterGradient(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: number[],
  strides: number | [number, number],
  pad: Conv2DPad,
  roundingMode?: 'floor' | 'round' | 'ceil',
): Tensor4D {
  return tf.tidy(() => {
    const g = geometry(x.shape, filterShape, strides, pad, roundingMode);
    if (g.filterHeight === 1 && g.filterWidth === 1) return pointwiseFilterGradient(x, dy, g);
    // Rows the output actually reads: filterHeight + stride·(outHeight − 1), from −padTop on.
    const usedHeight = g.filterHeight + g.strideHeight * (g.outHeight - 1);
    const usedWidth = g.filterWidth + g.strideWidth * (g.outWidth - 1);
    const padded = padOrCrop(x, [
      g.padTop,
      usedHeight - g.padTop - g.inHeight,
      g.padLeft,
      usedWidth - g.padLeft - g.inWidth,
    ]);
    const channelsAsBatch = tf.transpose(padded, [3, 1, 2, 0]) as Tensor4D;
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D;
    const grad = tf.conv2d(channelsAsBatch, dyAsFilter, 1, 'valid', 'NHWC', [g.strideHeight, g.strideWidth]);
    return tf.transpose(grad, [1, 2, 0, 3]) as Tensor4D;
  });
}

/** 1×1 kernels: the filter gradient is xᵀ·dy over the sampled pixels (a plain matMul). */
function pointwiseFilterGradient(x: Tensor4D, dy: Tensor4D, g: Conv2DGeometry): Tensor4D {
  const [n, , , inChannels] = x.shape;
  const outChannels = dy.shape[3];
  const padded = padOrCrop(x, [g.padTop, 0, g.padLeft, 0]);
  const sampled = stridedSample(padded, [0, 0], [g.strideHeight, g.strideWidth], [g.outHeight, g.outWidth]);
  const rows = n * g.outHeight * g.outWidth;
  const xt = tf.transpose(tf.reshape(sampled, [rows, inChannels]));
  const product = tf.matMul(xt, tf.reshape(dy, [rows, outChannels]));
  return tf.reshape(product, [1, 1, inChannels, outChannels]);
}

/** Replaces the Conv2D gradient for NHWC, undilated convolutions; anything else uses `fallback`. */
export function conv2dGradConfig(fallback: GradConfig | undefined): GradConfig {
  return {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
      const undilated =
        dilations === undefined || dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1));
      if ((dataFormat !== undefined && dataFormat !== 'NHWC') || !undilated) {
        if (fallback === undefined) throw new Error('conv2d gradient: no default for this configuration');
        return fallback.gradFunc(dy, saved, attrs);
      }
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      const dy4 = dy as Tensor4D;
      return {
        x: () => conv2dInputGradient(x.shape, dy4, filter, strides, pad, dimRoundingMode),
        filter: () => conv2dFilterGradient(x, dy4, filter.shape, strides, pad, dimRoundingMode),
      };
    },
  };
}
