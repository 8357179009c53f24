/**
 * conv(..., groups): depthwise (stride 2, and 5×5), depthwise with a channel multiplier, and
 * grouped convolutions of 4 and 8 input channels per group in the three contexts against PyTorch
 * float64 (the 'groups' case of fixtures/make_layer_fixtures.py); and weightscape's WASM depthwise
 * gradients (channel multipliers too) against float64 finite differences and the cpu backend's.
 */
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkGradients, normalInput } from '../helpers/gradient-check.ts';
import { layerCaseTests } from '../helpers/layer-cases.ts';
import { samePadding, type Array4 } from '../helpers/reference-ops.ts';

layerCaseTests(['groups']);

/** Depthwise convolution in float64, NHWC x and [kh, kw, C, M] filter, explicit padding. */
function depthwise(
  x: Array4,
  w: Array4,
  stride: number,
  pad: { top: number; left: number; bottom: number; right: number },
) {
  const [n, h, wd, c] = x.shape;
  const [kh, kw, , m] = w.shape;
  const oh = Math.floor((h + pad.top + pad.bottom - kh) / stride) + 1;
  const ow = Math.floor((wd + pad.left + pad.right - kw) / stride) + 1;
  const out = new Float64Array(n * oh * ow * c * m);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++)
          for (let k = 0; k < m; k++) {
            let acc = 0;
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const r = i * stride - pad.top + p;
                const s = j * stride - pad.left + q;
                if (r >= 0 && r < h && s >= 0 && s < wd)
                  acc += x.data[((b * h + r) * wd + s) * c + ch]! * w.data[((p * kw + q) * c + ch) * m + k]!;
              }
            out[(((b * oh + i) * ow + j) * c + ch) * m + k] = acc;
          }
  return out;
}

const DEPTHWISE_CASES = [
  { name: '3×3 stride 2, same padding, multiplier 2', x: [2, 7, 6, 3], w: [3, 3, 3, 2], stride: 2, pad: 'same' },
  { name: '3×3 stride 1, valid, multiplier 1', x: [1, 5, 5, 4], w: [3, 3, 4, 1], stride: 1, pad: 'valid' },
  { name: '2×2 stride 3, padding 1', x: [2, 8, 7, 2], w: [2, 2, 2, 1], stride: 3, pad: 1 },
] as const;

for (const c of DEPTHWISE_CASES) {
  test(`wasm depthwise gradients (${c.name}) match finite differences and the cpu backend`, async () => {
    const x = normalInput('x', [...c.x], 1);
    const w = normalInput('filter', [...c.w], 2);
    const [, h, wd] = c.x;
    const [kh, kw] = c.w;
    const pad =
      c.pad === 'same'
        ? samePadding(h, wd, kh, kw, c.stride, c.stride)
        : c.pad === 'valid'
          ? { top: 0, bottom: 0, left: 0, right: 0 }
          : { top: c.pad, bottom: c.pad, left: c.pad, right: c.pad };
    await checkGradients({
      inputs: [x, w],
      tfjs: (xt, wt) => tf.depthwiseConv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, c.stride, c.pad),
      reference: (xd, wdata) =>
        depthwise({ shape: [...c.x], data: xd }, { shape: [...c.w], data: wdata }, c.stride, pad),
    });
  });
}
