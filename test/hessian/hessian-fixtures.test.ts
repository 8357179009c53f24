/**
 * The Hessian fixtures as the helper loads them are consistent with weightscape's own model, layouts
 * and data, independently of any Hessian code: losses match PyTorch's, a finite difference of tfjs
 * gradients reproduces PyTorch's Hv in tfjs layout, and the tiny mlp's exact numbers agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { crossEntropyPerExample } from '../../src/models/loss.ts';
import { modelFor } from '../../src/models/registry.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../../src/models/types.ts';
import { HV_FIXTURES, loadHvFixture, loadTinyMlp } from '../helpers/hessian-fixtures.ts';

function meanLoss(
  config: ModelConfig,
  weights: ModelWeights,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  training: boolean,
): tf.Scalar {
  return tf.mean(crossEntropyPerExample(modelFor(config).forward(weights, x, { training }).logits, labels));
}

/** tfjs gradient of the mean cross-entropy at params θ + t·v, read back per tensor. */
function gradientAt(fixture: ReturnType<typeof loadHvFixture>, t: number): Record<string, Float32Array> {
  const names = Object.keys(fixture.v);
  return tf.tidy(() => {
    const shifted = names.map((n) => tf.add(fixture.weights.params[n]!, tf.mul(fixture.v[n]!, t)));
    const grads = tf.grads((...ps: tf.Tensor[]) => {
      const params: TensorMap = Object.fromEntries(names.map((n, i) => [n, ps[i]!]));
      return meanLoss(fixture.config, { params, state: fixture.weights.state }, fixture.x, fixture.labels, false);
    })(shifted);
    return Object.fromEntries(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array]));
  });
}

for (const { model, bn } of HV_FIXTURES) {
  test(`${model}-${bn}: the loaded model, inputs and labels give PyTorch's loss (float32, < 1e-5 relative)`, async () => {
    await selectBackend('cpu');
    const fixture = loadHvFixture(model, bn);
    const loss = tf.tidy(
      () => meanLoss(fixture.config, fixture.weights, fixture.x, fixture.labels, fixture.training).dataSync()[0]!,
    );
    const expected = fixture.description.loss;
    assert.ok(Math.abs(loss - expected) < 1e-5 * expected, `loss ${loss} vs PyTorch ${expected}`);
    assert.deepEqual(Object.keys(fixture.expectedHv).sort(), Object.keys(fixture.weights.params).sort());
    for (const name of Object.keys(fixture.v))
      assert.deepEqual(fixture.v[name]!.shape, fixture.weights.params[name]!.shape, name);
    fixture.dispose();
  });
}

test('mlp-eval: central finite difference of tfjs gradients along v matches the fixture Hv in tfjs layout', async () => {
  await selectBackend('cpu');
  const before = tf.memory().numTensors;
  const fixture = loadHvFixture('mlp', 'eval');
  // A step of norm 1e-3 in the weights: no ReLU kink is crossed on these 4 examples.
  const t = 1e-3 / fixture.description.vNorm;
  const plus = gradientAt(fixture, t);
  const minus = gradientAt(fixture, -t);
  let diff = 0;
  let norm = 0;
  let vNorm = 0;
  for (const name of Object.keys(fixture.v)) {
    const expected = fixture.expectedHv[name]!.dataSync();
    const v = fixture.v[name]!.dataSync();
    for (let i = 0; i < expected.length; i++) {
      const fd = (plus[name]![i]! - minus[name]![i]!) / (2 * t);
      diff += (fd - expected[i]!) ** 2;
      norm += expected[i]! ** 2;
      vNorm += v[i]! ** 2;
    }
  }
  const relative = Math.sqrt(diff / norm);
  // The direction's norm from the loaded (tfjs-layout) v equals PyTorch's: the same values, permuted.
  assert.ok(Math.abs(Math.sqrt(vNorm) - fixture.description.vNorm) < 1e-5 * fixture.description.vNorm);
  assert.ok(Math.abs(Math.sqrt(norm) - fixture.description.hvNorm) < 1e-5 * fixture.description.hvNorm);
  // Measured 1.8e-3 (float32 gradients); v and Hv reshaped instead of transposed give 1.5.
  assert.ok(relative < 2e-2, `finite difference vs fixture Hv: relative error ${relative}`);
  fixture.dispose();
  assert.equal(tf.memory().numTensors, before, 'leaked tensors');
});

test('tiny-mlp: trace = Σ eigenvalues, per-layer traces sum to it, and the loaded model gives its loss', async () => {
  await selectBackend('cpu');
  const tiny = loadTinyMlp();
  const { description, eigenvalues } = tiny;
  assert.equal(eigenvalues.length, 3190);
  const sum = eigenvalues.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - description.trace) < 1e-8 * Math.abs(description.trace), `Σλ ${sum} vs trace`);
  const layers = description.perLayer.reduce((a, b) => a + b.trace, 0);
  assert.ok(Math.abs(layers - description.trace) < 1e-8 * Math.abs(description.trace), `per-layer ${layers}`);
  assert.equal(
    description.perLayer.reduce((a, b) => a + b.parameters, 0),
    eigenvalues.length,
  );
  assert.equal(description.top[0], eigenvalues[eigenvalues.length - 1]);
  const m2 = eigenvalues.reduce((a, b) => a + b * b, 0) / eigenvalues.length;
  assert.ok(Math.abs(m2 - description.moments[2]!) < 1e-10 * description.moments[2]!, `m2 ${m2}`);
  const loss = tf.tidy(() => meanLoss(tiny.config, tiny.weights, tiny.x, tiny.labels, false).dataSync()[0]!);
  assert.ok(Math.abs(loss - description.loss) < 1e-5 * description.loss, `loss ${loss} vs ${description.loss}`);
  tiny.dispose();
});
