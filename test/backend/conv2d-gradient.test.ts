import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { checkGradients, normalInput } from '../helpers/gradient-check.ts';
import { conv2d, samePadding, type Padding } from '../helpers/reference-ops.ts';

type TfPad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  kernel: number;
  cout: number;
  stride: number;
  pad: TfPad;
  bias: boolean;
}

function referencePadding(c: ConvCase): Padding {
  if (c.pad === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (c.pad === 'same') return samePadding(c.x[1], c.x[2], c.kernel, c.kernel, c.stride, c.stride);
  return { top: c.pad[1][0], bottom: c.pad[1][1], left: c.pad[2][0], right: c.pad[2][1] };
}

// PyTorch's Conv2d(padding=1) is symmetric; TF's 'same' with stride 2 pads only after.
const torchPad: TfPad = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];
const conv = (
  name: string,
  x: ConvCase['x'],
  kernel: number,
  cout: number,
  stride: number,
  pad: TfPad,
  bias = false,
): ConvCase => ({ name, x, kernel, cout, stride, pad, bias });
const CASES: ConvCase[] = [
  conv('3x3 stride 1 same, bias', [2, 6, 6, 3], 3, 4, 1, 'same', true),
  conv('3x3 stride 1 valid', [2, 6, 5, 3], 3, 4, 1, 'valid'),
  conv('3x3 stride 2 same (odd size, asymmetric pad)', [2, 7, 7, 3], 3, 5, 2, 'same'),
  conv('3x3 stride 2 same (even size)', [2, 8, 8, 2], 3, 3, 2, 'same', true),
  conv('3x3 stride 2 valid', [1, 7, 8, 2], 3, 3, 2, 'valid'),
  conv('3x3 stride 2 explicit PyTorch padding=1', [2, 8, 8, 3], 3, 4, 2, torchPad),
  conv('3x3 stride 1 explicit PyTorch padding=1, bias', [2, 5, 5, 3], 3, 4, 1, torchPad, true),
  conv('1x1 stride 1 valid, bias', [2, 5, 5, 4], 1, 3, 1, 'valid', true),
  conv('1x1 stride 2 valid (ResNet shortcut)', [2, 8, 8, 3], 1, 5, 2, 'valid'),
  conv('1x1 stride 2 same (odd size)', [2, 7, 7, 3], 1, 2, 2, 'same'),
  conv('5x5 stride 1 same', [1, 6, 6, 2], 5, 3, 1, 'same'),
];

for (const c of CASES) {
  test(`conv2d gradient: ${c.name}`, async () => {
    const inputs = [normalInput('x', c.x, 1), normalInput('filter', [c.kernel, c.kernel, c.x[3], c.cout], 2, 0.5)];
    if (c.bias) inputs.push(normalInput('bias', [c.cout], 3));
    const pad = referencePadding(c);
    const report = await checkGradients({
      inputs,
      tfjs: (x, w, b) => {
        const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad);
        return b === undefined ? y : tf.add(y, b);
      },
      reference: (x, w, b) => {
        const out = conv2d(
          { shape: c.x, data: x! },
          { shape: [c.kernel, c.kernel, c.x[3], c.cout], data: w! },
          [c.stride, c.stride],
          pad,
        );
        if (b !== undefined) for (let i = 0; i < out.data.length; i++) out.data[i]! += b[i % c.cout]!;
        return out.data;
      },
    });
    // Float32 accumulation over a few dozen terms: far inside 1e-3.
    for (const [name, e] of Object.entries(report.errors)) assert.ok(e.wasmVsFd < 1e-4, `${name}: ${e.wasmVsFd}`);
  });
}
