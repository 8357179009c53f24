import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { parseAttack, type SquareSpec } from '../../src/attacks/attack-spec.ts';
import { squareAttack, squareFraction, type SquareResult } from '../../src/attacks/square.ts';
import { eta, etaRectangles } from '../../src/attacks/square-l2.ts';
import { modelFunction } from '../../src/models/engine-registry.ts';
import type { ModelFunction } from '../../src/models/model-function.ts';
import { selectBackendAndEngine } from '../helpers/engine.ts';
import { convnetMini, miniTest } from '../helpers/convnet-mini.ts';

interface Setup {
  model: ModelFunction;
  x: tf.Tensor4D;
  labels: tf.Tensor1D;
  clean: Float32Array;
  y: number[];
  correct: boolean[];
}

let cached: Promise<Setup> | undefined;

/** convnet-mini on 100 `mini` test images, on the onnxruntime engine (one session per batch size). */
function setup(): Promise<Setup> {
  cached ??= (async () => {
    const info = await selectBackendAndEngine('wasm', { onnxruntime: true });
    assert.ok(info.onnxruntime !== undefined, info.onnxruntimeOff);
    const { config, weights } = convnetMini();
    const data = miniTest(0, 100);
    const x = tf.tensor4d(data.images, data.shape);
    const labels = tf.tensor1d(data.labels, 'int32');
    const model = modelFunction(config, weights, { training: false });
    const y = Array.from(data.labels, Number);
    const clean = Float32Array.from(data.images);
    const correct = margins(model, x, y).map((m) => m > 0);
    return { model, x, labels, clean, y, correct };
  })();
  return cached;
}

/** z_y − max_{j≠y} z_j per example. */
function margins(model: ModelFunction, x: tf.Tensor4D, y: number[]): number[] {
  const logits = model.logits(x);
  const z = logits.arraySync();
  logits.dispose();
  return z.map((row, i) => row[y[i]!]! - Math.max(...row.filter((_, j) => j !== y[i])));
}

function predictions(model: ModelFunction, x: tf.Tensor4D): number[] {
  const logits = model.logits(x);
  const z = logits.arraySync();
  logits.dispose();
  return z.map((row) => row.indexOf(Math.max(...row)));
}

function run(s: Setup, text: string, seed = 0, active?: boolean[]) {
  const result = squareAttack(s.model, s.x, s.labels, parseAttack(text) as SquareSpec, seed, active);
  const adv = Float32Array.from(result.xAdv.dataSync());
  return { result, adv };
}

/** Checks the outcome against the model itself; returns the robust accuracy. */
function checkOutcome(s: Setup, result: SquareResult, adv: Float32Array): number {
  const predicted = predictions(s.model, result.xAdv);
  const d = adv.length / s.y.length;
  let robust = 0;
  s.y.forEach((label, i) => {
    if (result.fooled[i]) {
      assert.ok(s.correct[i], `example ${i} is clean-misclassified but was attacked`);
      assert.notEqual(predicted[i], label, `example ${i} reported fooled but classified correctly at xAdv`);
    } else if (s.correct[i]) {
      robust += 1;
      assert.equal(predicted[i], label, `example ${i} reported robust but misclassified at xAdv`);
      assert.ok(result.queries[i]! > 1, `robust example ${i} spent only ${result.queries[i]} queries`);
    } else {
      assert.equal(result.queries[i], 0, `clean-misclassified example ${i} was queried`);
      assert.deepEqual(adv.subarray(i * d, (i + 1) * d), s.clean.subarray(i * d, (i + 1) * d));
    }
  });
  return robust / s.y.length;
}

test('the p schedule halves at upstream iterations 10, 50, 200, …, 8000 (not rescaled to the budget)', () => {
  const p = (i: number) => squareFraction(0.8, i);
  assert.deepEqual([0, 10, 11, 50, 51, 200, 201, 500, 501].map(p), [0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1, 0.05]);
  assert.deepEqual(
    [1000, 1001, 2001, 4001, 6001, 8000, 8001, 99999].map(p),
    [0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.003125, 0.0015625, 0.0015625],
  );
});

test("L2's window pattern: unit norm, rectangles of weight 1/(k+1)² above, negated below, transposed on request", () => {
  const r = etaRectangles(1, 3);
  // One row, three columns: centre 1 + 1/4, then 1/4 around it, scaled to unit norm.
  const n = Math.sqrt(1.25 ** 2 + 2 * 0.25 ** 2);
  assert.deepEqual(
    Array.from(r, (v) => +v.toFixed(12)),
    [0.25 / n, 1.25 / n, 0.25 / n].map((v) => +v.toFixed(12)),
  );
  const e = eta(5, false);
  assert.ok(Math.abs(e.reduce((a, v) => a + v * v, 0) - 1) < 1e-12);
  assert.ok(e.slice(0, 10).every((v) => v > 0) && e.slice(10).every((v) => v < 0));
  const t = eta(5, true);
  for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) assert.equal(t[b * 5 + a], e[a * 5 + b]);
});

test('L∞ eps=0.1, 300 queries: robust accuracy below clean, inside the ball and [0, 1], outcomes true', async () => {
  const s = await setup();
  const before = tf.memory().numTensors;
  const { result, adv } = run(s, 'square:linf:eps=0.1:queries=300');
  const robust = checkOutcome(s, result, adv);
  result.xAdv.dispose();
  assert.equal(tf.memory().numTensors, before, 'the attack leaked tensors');
  const clean = s.correct.filter(Boolean).length / s.y.length;
  assert.ok(robust < clean, `robust ${robust} vs clean ${clean}`);
  let far = 0;
  adv.forEach((v, k) => {
    far = Math.max(far, Math.abs(v - s.clean[k]!));
    assert.ok(v >= 0 && v <= 1, `pixel ${k} = ${v}`);
  });
  assert.ok(far <= 0.1 + 1e-6, `max |xAdv − x| = ${far}`);
  // The search moves pixels to the ball's faces: some pixel sits at distance eps.
  assert.ok(far > 0.1 - 1e-6, `max |xAdv − x| = ${far}`);
  assert.ok(result.queries.every((q) => q <= 301));
});

test('L2 eps=1.5, 300 queries: every perturbation of norm ≤ eps, robust accuracy below clean', async () => {
  const s = await setup();
  const before = tf.memory().numTensors;
  const { result, adv } = run(s, 'square:l2:eps=1.5:queries=300');
  const robust = checkOutcome(s, result, adv);
  result.xAdv.dispose();
  assert.equal(tf.memory().numTensors, before, 'the attack leaked tensors');
  const d = adv.length / s.y.length;
  let largest = 0;
  for (let i = 0; i < s.y.length; i++) {
    let sum = 0;
    for (let k = i * d; k < (i + 1) * d; k++) sum += (adv[k]! - s.clean[k]!) ** 2;
    assert.ok(Math.sqrt(sum) <= 1.5 * (1 + 1e-5), `example ${i}: ‖xAdv − x‖₂ = ${Math.sqrt(sum)}`);
    largest = Math.max(largest, Math.sqrt(sum));
  }
  assert.ok(largest > 1, `the largest perturbation has norm ${largest}: the budget is not used`);
  const clean = s.correct.filter(Boolean).length / s.y.length;
  assert.ok(robust < clean, `robust ${robust} vs clean ${clean}`);
});

for (const norm of ['linf', 'l2']) {
  test(`${norm}: the examples of a subset get exactly the full run's outcome (AutoAttack's robust subset)`, async () => {
    const s = await setup();
    const text = `square:${norm}:eps=${norm === 'linf' ? 0.1 : 1.5}:queries=150:restarts=2`;
    const full = run(s, text, 3);
    let kept = 0;
    const active = s.correct.map((c) => c && kept++ % 2 === 0);
    const part = run(s, text, 3, active);
    const d = full.adv.length / s.y.length;
    let compared = 0;
    for (let i = 0; i < s.y.length; i++) {
      if (!active[i]) {
        assert.equal(part.result.queries[i], 0);
        assert.equal(part.result.fooled[i], false);
        continue;
      }
      compared += 1;
      assert.equal(part.result.fooled[i], full.result.fooled[i], `example ${i} fooled`);
      assert.equal(part.result.queries[i], full.result.queries[i], `example ${i} queries`);
      assert.deepEqual(part.adv.subarray(i * d, (i + 1) * d), full.adv.subarray(i * d, (i + 1) * d), `example ${i}`);
    }
    assert.ok(compared >= 30);
    // Both outcomes occur among the compared ones, so the comparison covers both kinds of xAdv.
    assert.ok(active.some((a, i) => a && part.result.fooled[i]));
    assert.ok(active.some((a, i) => a && !part.result.fooled[i]));
    tf.dispose([full.result.xAdv, part.result.xAdv]);
  });
}

test('the same seed gives the same result, another seed another xAdv', async () => {
  const s = await setup();
  const text = 'square:l2:eps=1:queries=40';
  const a = run(s, text, 7);
  const b = run(s, text, 7);
  const c = run(s, text, 8);
  assert.deepEqual(b.adv, a.adv);
  assert.deepEqual(b.result.fooled, a.result.fooled);
  assert.deepEqual(b.result.queries, a.result.queries);
  assert.notDeepEqual(c.adv, a.adv);
  tf.dispose([a.result.xAdv, b.result.xAdv, c.result.xAdv]);
});

test('the margin at xAdv is never above the margin at the start point (x_best moves only on improvement)', async () => {
  const s = await setup();
  const spec = parseAttack('square:linf:eps=0.1:queries=200') as SquareSpec;
  const start = squareAttack(s.model, s.x, s.labels, { ...spec, queries: 0 }, 5);
  const end = squareAttack(s.model, s.x, s.labels, spec, 5);
  const m0 = margins(s.model, start.xAdv, s.y);
  const m1 = margins(s.model, end.xAdv, s.y);
  let lowered = 0;
  for (let i = 0; i < s.y.length; i++) {
    if (!s.correct[i]) continue;
    assert.equal(start.queries[i], 1, 'the start costs one query');
    assert.ok(m1[i]! <= m0[i]! + 1e-5, `example ${i}: margin ${m1[i]} at xAdv above ${m0[i]} at the start`);
    if (m1[i]! < m0[i]! - 1e-3) lowered += 1;
  }
  assert.ok(lowered > 20, `only ${lowered} margins went down`);
  tf.dispose([start.xAdv, end.xAdv]);
});
