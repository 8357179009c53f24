import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { FLIP_FILTER, phaseTaps } from '../../src/backend/kernels/flip-filter-kernel.ts';

before(async () => {
  await selectBackend('wasm');
});

test('Identity on wasm shares the buffer: a clone outlives its source and holds the same values', () => {
  const before = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
  const source = tf.tensor1d([1.5, -2, 3.25]);
  const copy = tf.clone(source);
  // Two tensors, one data buffer: the clone allocates nothing (tfjs's own Identity adds a buffer).
  const after = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
  assert.equal(after.numTensors - before.numTensors, 2);
  assert.equal(after.numDataBuffers - before.numDataBuffers, 1);
  source.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), [1.5, -2, 3.25]);
  copy.dispose();
  const end = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
  assert.equal(end.numDataBuffers, before.numDataBuffers);
  assert.equal(end.numBytes, before.numBytes);
});

test('the flipped filter of one stride phase: taps r, r+s, … reversed, channels swapped', () => {
  // filter[i, j, c, o] = 1000·i + 100·j + 10·c + o, kernel 3×3, 2 in and 3 out channels.
  const values: number[] = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      for (let c = 0; c < 2; c++) for (let o = 0; o < 3; o++) values.push(1000 * i + 100 * j + 10 * c + o);
  const filter = tf.tensor4d(values, [3, 3, 2, 3]);
  for (const [rowPhase, colPhase, stride] of [
    [0, 0, 1],
    [0, 1, 2],
    [1, 0, 2],
    [1, 1, 2],
  ] as const) {
    const out = tf
      .engine()
      .runKernel(
        FLIP_FILTER,
        { filter },
        { rowPhase, colPhase, strideHeight: stride, strideWidth: stride },
      ) as tf.Tensor4D;
    const th = phaseTaps(3, rowPhase, stride);
    const tw = phaseTaps(3, colPhase, stride);
    assert.deepEqual(out.shape, [th, tw, 3, 2]);
    const got = out.arraySync();
    for (let a = 0; a < th; a++)
      for (let b = 0; b < tw; b++)
        for (let o = 0; o < 3; o++)
          for (let c = 0; c < 2; c++) {
            const i = rowPhase + stride * (th - 1 - a);
            const j = colPhase + stride * (tw - 1 - b);
            assert.equal(got[a]![b]![o]![c], 1000 * i + 100 * j + 10 * c + o);
          }
    out.dispose();
  }
  filter.dispose();
});
