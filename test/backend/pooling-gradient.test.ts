import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { checkGradients, normalInput, tfjsGradients } from '../helpers/gradient-check.ts';
import { avgPool, maxPool, samePadding } from '../helpers/reference-ops.ts';

const NO_PAD = { top: 0, bottom: 0, left: 0, right: 0 };

test('maxPool gradient: 2x2 stride 2 valid', async () => {
  await checkGradients({
    inputs: [normalInput('x', [2, 6, 6, 3], 41)],
    tfjs: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
    reference: (x) => maxPool({ shape: [2, 6, 6, 3], data: x! }, [2, 2], [2, 2], NO_PAD).data,
  });
});

test('maxPool gradient: 3x3 stride 2 same (overlapping, padded windows)', async () => {
  await checkGradients({
    inputs: [normalInput('x', [2, 7, 7, 2], 42)],
    tfjs: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'),
    reference: (x) => maxPool({ shape: [2, 7, 7, 2], data: x! }, [3, 3], [2, 2], samePadding(7, 7, 3, 3, 2, 2)).data,
  });
});

test('maxPool gradient at exact ties goes to the first maximum (PyTorch, tfjs cpu) on wasm too', async () => {
  // Windows: {1,1,0,0} tie at top-left; {2,2,2,2} all tied; {5,1,5,1}; {0,3,3,0}.
  const x = {
    name: 'x',
    shape: [1, 4, 4, 1],
    data: Float64Array.from([1, 1, 2, 2, 0, 0, 2, 2, 5, 1, 0, 3, 5, 1, 3, 0]),
    noFiniteDifference: true,
  };
  const gradientCase = {
    inputs: [x],
    tfjs: (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'),
    reference: () => new Float64Array(4),
  };
  const ones = Float64Array.from([1, 1, 1, 1]);
  const [wasm] = await tfjsGradients('wasm', gradientCase, ones);
  const [cpu] = await tfjsGradients('cpu', gradientCase, ones);
  assert.deepEqual(Array.from(wasm!), [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(cpu!), Array.from(wasm!));
});

test('avgPool gradient: 2x2 stride 2 valid (tiled windows)', async () => {
  await checkGradients({
    inputs: [normalInput('x', [2, 6, 4, 3], 43)],
    tfjs: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'),
    reference: (x) => avgPool({ shape: [2, 6, 4, 3], data: x! }, [2, 2], [2, 2]).data,
  });
});

test('avgPool gradient: 4x4 global pooling (PreAct-ResNet head)', async () => {
  await checkGradients({
    inputs: [normalInput('x', [3, 4, 4, 5], 44)],
    tfjs: (x) => tf.avgPool(x as tf.Tensor4D, 4, 4, 'valid'),
    reference: (x) => avgPool({ shape: [3, 4, 4, 5], data: x! }, [4, 4], [4, 4]).data,
  });
});

test('avgPool gradient: 3x3 stride 1 (overlapping, falls back to the default)', async () => {
  await checkGradients({
    inputs: [normalInput('x', [1, 5, 5, 2], 45)],
    tfjs: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'valid'),
    reference: (x) => avgPool({ shape: [1, 5, 5, 2], data: x! }, [3, 3], [1, 1]).data,
  });
});
