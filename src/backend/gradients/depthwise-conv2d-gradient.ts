/**
 * DepthwiseConv2dNative gradients written as forward kernels: tfjs-backend-wasm 4.22 has the
 * forward depthwise convolution but neither of its backprop kernels.
 * Layout: x NHWC [N, H, W, C], filter [kh, kw, C, M] (channel multiplier M; output channel c·M + m),
 * dilations 1.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { padOrCrop, stridedSample } from './spatial.ts';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

function geometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  roundingMode?: 'floor' | 'round' | 'ceil',
) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    roundingMode,
    true,
  );
}

/**
 * ∂L/∂x: dy spread back to the stride's grid (zeros between), fully correlated with the spatially
 * reversed filter (one depthwise pass over the C·M channels), then summed over the multiplier.
 */
export function depthwiseInputGradient(
  xShape: number[],
  dy: Tensor4D,
  filter: Tensor4D,
  strides: number | [number, number],
  pad: Pad,
  roundingMode?: 'floor' | 'round' | 'ceil',
): Tensor4D {
  return tf.tidy(() => {
    const info = geometry(xShape, filter.shape, strides, pad, roundingMode);
    const [kh, kw, channels, multiplier] = filter.shape;
    const { strideHeight: sh, strideWidth: sw } = info;
    const [n, oh, ow, outChannels] = dy.shape;
    const spread =
      sh === 1 && sw === 1
        ? dy
        : (tf.reshape(
            tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, outChannels]), [
              [0, 0],
              [0, 0],
              [0, sh - 1],
              [0, 0],
              [0, sw - 1],
              [0, 0],
            ]),
            [n, oh * sh, ow * sw, outChannels],
          ) as Tensor4D);
    // dx[u] = Σ_p spread[u + padTop − p]·w[p]: a correlation of the spread dy with (k − 1 − pad)
    // zeros before it and the reversed filter; after it, whatever makes the output the input's size.
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bordered = padOrCrop(spread, [
      top,
      info.inHeight + kh - 1 - top - spread.shape[1],
      left,
      info.inWidth + kw - 1 - left - spread.shape[2],
    ]);
    const reversed = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, channels * multiplier, 1]) as Tensor4D;
    const perOutput = tf.depthwiseConv2d(bordered, reversed, 1, 'valid');
    if (multiplier === 1) return perOutput;
    return tf.sum(tf.reshape(perOutput, [n, info.inHeight, info.inWidth, channels, multiplier]), 4) as Tensor4D;
  });
}

/**
 * ∂L/∂filter: for each tap (p, q), Σ over the batch and output pixels of the input cells that tap
 * reads times dy (the taps are few; a convolution over the channels would make C² products).
 */
export function depthwiseFilterGradient(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  roundingMode?: 'floor' | 'round' | 'ceil',
): Tensor4D {
  return tf.tidy(() => {
    const info = geometry(x.shape, filterShape, strides, pad, roundingMode);
    const [kh, kw, channels, multiplier] = filterShape as [number, number, number, number];
    const [n, oh, ow] = dy.shape;
    const padded = padOrCrop(x, [info.padInfo.top, 0, info.padInfo.left, 0]);
    const dyPerChannel = tf.reshape(dy, [n, oh, ow, channels, multiplier]);
    const taps: Tensor[] = [];
    for (let p = 0; p < kh; p++) {
      for (let q = 0; q < kw; q++) {
        const cells = stridedSample(padded, [p, q], [info.strideHeight, info.strideWidth], [oh, ow]);
        taps.push(tf.sum(tf.mul(tf.reshape(cells, [n, oh, ow, channels, 1]), dyPerChannel), [0, 1, 2]));
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, channels, multiplier]) as Tensor4D;
  });
}

/** Replaces the DepthwiseConv2dNative gradient for NHWC, undilated convolutions; anything else uses `fallback`. */
export function depthwiseConv2dGradConfig(fallback: GradConfig | undefined): GradConfig {
  return {
    kernelName: tf.DepthwiseConv2dNative,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const { strides, pad, dataFormat, dilations, dimRoundingMode } =
        attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
      const undilated =
        dilations === undefined || dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1));
      if ((dataFormat !== undefined && dataFormat !== 'NHWC') || !undilated) {
        if (fallback === undefined) throw new Error('depthwise conv2d gradient: no default for this configuration');
        return fallback.gradFunc(dy, saved, attrs);
      }
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      const dy4 = dy as Tensor4D;
      return {
        x: () => depthwiseInputGradient(x.shape, dy4, filter, strides, pad, dimRoundingMode),
        filter: () => depthwiseFilterGradient(x, dy4, filter.shape, strides, pad, dimRoundingMode),
      };
    },
  };
}
