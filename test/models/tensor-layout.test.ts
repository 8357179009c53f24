import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { tfjsShape, toPytorchLayout, toTfjsLayout } from '../../src/models/tensor-layout.ts';
import { convSpecs, linearSpecs } from '../../src/models/tensor-specs.ts';

test('a convolution filter: OIHW [2, 3, 1, 2] becomes HWIO [1, 2, 3, 2], element (o, i, h, w) at (h, w, i, o)', async () => {
  await tf.setBackend('cpu');
  // Value 1000·o + 100·i + 10·h + w at OIHW (o, i, h, w), so each element names its position.
  const values: number[] = [];
  for (let o = 0; o < 2; o++)
    for (let i = 0; i < 3; i++)
      for (let h = 0; h < 1; h++) for (let w = 0; w < 2; w++) values.push(1000 * o + 100 * i + 10 * h + w);
  const oihw = tf.tensor(values, [2, 3, 1, 2]);
  const hwio = toTfjsLayout(oihw, 'conv-weight');
  assert.deepEqual(hwio.shape, [1, 2, 3, 2]);
  assert.deepEqual(tfjsShape([2, 3, 1, 2], 'conv-weight'), [1, 2, 3, 2]);
  // HWIO row-major, worked by hand: (h=0, w=0, i=0, o=0..1), (i=1, …), …, then w=1.
  assert.deepEqual([...hwio.dataSync()], [0, 1000, 100, 1100, 200, 1200, 1, 1001, 101, 1101, 201, 1201]);
  const back = toPytorchLayout(hwio, 'conv-weight');
  assert.deepEqual(back.shape, [2, 3, 1, 2]);
  assert.deepEqual([...back.dataSync()], values);
  tf.dispose([oihw, hwio, back]);
});

test('a linear weight: out×in [2, 3] becomes in×out [3, 2]; biases and BatchNorm tensors are copied as they are', () => {
  const outIn = tf.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const inOut = toTfjsLayout(outIn, 'linear-weight');
  assert.deepEqual(inOut.shape, [3, 2]);
  assert.deepEqual(tfjsShape([2, 3], 'linear-weight'), [3, 2]);
  assert.deepEqual([...inOut.dataSync()], [1, 4, 2, 5, 3, 6]);
  const back = toPytorchLayout(inOut, 'linear-weight');
  assert.deepEqual([...back.dataSync()], [1, 2, 3, 4, 5, 6]);
  const bias = tf.tensor([7, 8]);
  const copied = toTfjsLayout(bias, 'bias');
  assert.notEqual(copied, bias, 'a new tensor the caller owns');
  assert.deepEqual([...copied.dataSync()], [7, 8]);
  assert.deepEqual(tfjsShape([5], 'bn-running-var'), [5]);
  tf.dispose([outIn, inOut, back, bias, copied]);
});

test('a weight of the wrong rank for its role is refused', () => {
  const t = tf.zeros([2, 2]);
  assert.throws(() => toTfjsLayout(t, 'conv-weight'), /rank 4, not 2/);
  assert.throws(() => tfjsShape([2, 2, 2], 'linear-weight'), /rank 2, not 3/);
  t.dispose();
});

test("grouped and bias-free layers' specs: PyTorch's [out, in/groups, k, k] conv weight, a linear without its bias", () => {
  assert.deepEqual(
    convSpecs('dw', 32, 32, 3, false, 32).map((s) => [s.name, s.shape, s.role]),
    [['dw.weight', [32, 1, 3, 3], 'conv-weight']],
  );
  assert.deepEqual(
    convSpecs('g', 16, 8, 1, true, 4).map((s) => s.shape),
    [[16, 2, 1, 1], [16]],
  );
  assert.deepEqual(
    linearSpecs('fc', 5, 6, false).map((s) => s.name),
    ['fc.weight'],
  );
  // The grouped weight converts as every convolution's: HWIO [k, k, in/groups, out].
  assert.deepEqual(tfjsShape([16, 2, 1, 1], 'conv-weight'), [1, 1, 2, 16]);
});
