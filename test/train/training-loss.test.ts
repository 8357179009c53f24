import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { martLoss, tradesLoss } from '../../src/train/training-loss.ts';
import { seededNormals } from '../helpers/reference-ops.ts';

const N = 5;
const K = 4;
const clean = Array.from(seededNormals(N * K, 1), (v) => 2 * v);
const adv = Array.from(seededNormals(N * K, 2), (v) => 2 * v);
const labels = [0, 3, 1, 1, 2];

const row = (a: number[], i: number) => a.slice(i * K, (i + 1) * K);
function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test('TRADES loss equals CE(f(x), y) + β·KL(p‖q)/N computed in float64', async () => {
  await selectBackend('wasm');
  const beta = 6;
  let expected = 0;
  for (let i = 0; i < N; i++) {
    const p = softmax(row(clean, i));
    const q = softmax(row(adv, i));
    expected +=
      -Math.log(p[labels[i]!]!) / N + (beta * p.reduce((acc, pk, k) => acc + pk * Math.log(pk / q[k]!), 0)) / N;
  }
  const got = tf.tidy(
    () =>
      tradesLoss(
        tf.tensor2d(clean, [N, K]),
        tf.tensor2d(adv, [N, K]),
        tf.tensor1d(labels, 'int32'),
        beta,
      ).dataSync()[0]!,
  );
  assert.ok(Math.abs(got - expected) / expected < 1e-5, `${got} vs ${expected}`);
});

test("MART loss equals Wang et al.'s BCE + β·KL·(1 − p_y) computed in float64", async () => {
  await selectBackend('wasm');
  const beta = 6;
  let boosted = 0;
  let robust = 0;
  for (let i = 0; i < N; i++) {
    const p = softmax(row(clean, i));
    const q = softmax(row(adv, i));
    const y = labels[i]!;
    // the most likely wrong class under q
    let wrong = -1;
    q.forEach((v, k) => {
      if (k !== y && (wrong < 0 || v > q[wrong]!)) wrong = k;
    });
    boosted += (-Math.log(q[y]!) - Math.log(1.0001 - q[wrong]! + 1e-12)) / N;
    const kl = p.reduce((acc, pk, k) => acc + pk * (Math.log(pk) - Math.log(q[k]! + 1e-12)), 0);
    robust += (kl * (1.0000001 - p[y]!)) / N;
  }
  const expected = boosted + beta * robust;
  const got = tf.tidy(
    () =>
      martLoss(tf.tensor2d(clean, [N, K]), tf.tensor2d(adv, [N, K]), tf.tensor1d(labels, 'int32'), beta).dataSync()[0]!,
  );
  assert.ok(Math.abs(got - expected) / expected < 1e-5, `${got} vs ${expected}`);
});
