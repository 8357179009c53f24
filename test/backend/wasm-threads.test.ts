import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { releaseBackend, selectBackend } from '../../src/backend/select-backend.ts';

after(releaseBackend);

/** A convolution, its input gradient (our formulas) and a matrix product, read back as arrays. */
function workload(): Float32Array[] {
  return tf
    .tidy(() => {
      const x = tf.randomUniform([8, 12, 12, 16], -1, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomUniform([3, 3, 16, 24], -1, 1, 'float32', 2) as tf.Tensor4D;
      const a = tf.randomUniform([96, 200], -1, 1, 'float32', 3) as tf.Tensor2D;
      const b = tf.randomUniform([200, 150], -1, 1, 'float32', 4) as tf.Tensor2D;
      const y = tf.conv2d(x, w, 2, 'same');
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, w, 2, 'same'))))(x);
      return [y, dx, tf.matMul(a, b)];
    })
    .map((t) => {
      const values = t.dataSync() as Float32Array;
      t.dispose();
      return values;
    });
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

test('the threaded wasm build runs with 2 threads and matches the single-threaded build', async () => {
  const threaded = await selectBackend('wasm', { wasmThreads: 2 });
  assert.equal(threaded.threads, 2);
  assert.equal(threaded.simd, true);
  const withThreads = workload();
  const single = await selectBackend('wasm', { wasmThreads: 1 });
  assert.equal(single.threads, 1);
  const withoutThreads = workload();
  for (let i = 0; i < withThreads.length; i++) {
    const scale = Math.max(...withoutThreads[i]!.map(Math.abs));
    assert.ok(scale > 1, 'the workload produces non-trivial values');
    assert.ok(
      maxAbsDifference(withThreads[i]!, withoutThreads[i]!) <= 1e-5 * scale,
      `output ${i} differs between builds`,
    );
  }
  // Back to threads after single: the registration switches both ways.
  assert.equal((await selectBackend('wasm', { wasmThreads: 2 })).threads, 2);
});

test('the CLI with --threads 2 reports two threads and exits on its own', () => {
  const run = spawnSync(process.execPath, ['bin/weightscape.js', '--threads', '2', 'backend'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /in use: wasm \(tfjs [\d.]+, SIMD on, 2 thread\(s\)/);
});
