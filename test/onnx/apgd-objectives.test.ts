/**
 * APGD's objectives in one pass (loss per example, logits, input gradient): the DLR losses against
 * their definition computed on the host from sorted logits, the gradients of both engines against
 * each other and against central finite differences, on fixtures with BatchNorm and NCHWc convolutions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { modelFunction } from '../../src/models/engine-registry.ts';
import type { InputObjective } from '../../src/models/model-function.ts';
import { tfjsModelFunction } from '../../src/models/tfjs-engine.ts';
import { useOnnxruntimeInThisFile } from '../helpers/engine.ts';
import { loadFixtureModel } from '../helpers/fixtures.ts';
import { l2RelativeError } from '../helpers/reference-ops.ts';

useOnnxruntimeInThisFile();

/** The DLR losses from their definition (Croce & Hein 2020, eq. 2 and the targeted version). */
function dlrByDefinition(z: number[], y: number, target?: number): number {
  const sorted = [...z].sort((a, b) => b - a);
  if (target !== undefined) return -(z[y]! - z[target]!) / (sorted[0]! - (sorted[2]! + sorted[3]!) / 2 + 1e-12);
  const bestWrong = Math.max(...z.filter((_, j) => j !== y));
  return -(z[y]! - bestWrong) / (sorted[0]! - sorted[2]! + 1e-12);
}

const OBJECTIVES: InputObjective[] = ['cross-entropy', 'dlr', 'dlr-targeted'];

for (const fixture of ['convnet-mnist', 'preact-resnet18']) {
  test(`${fixture}: DLR losses equal their definition; onnxruntime's losses, logits and input gradients equal tfjs's (1e-4)`, () => {
    const f = loadFixtureModel(fixture);
    const onnx = modelFunction(f.config, f.weights, { training: false });
    const tfjs = tfjsModelFunction(f.config, f.weights, { training: false });
    const n = f.x.shape[0];
    const logits = tfjs.logits(f.x);
    const rows = logits.arraySync();
    // Target: the second most likely class that is not the label.
    const targetIds = rows.map((z, i) => {
      const label = (i * 7) % f.d.classes;
      return z
        .map((v, j) => [v, j] as const)
        .filter(([, j]) => j !== label)
        .sort((a, b) => b[0] - a[0])[1]![1];
    });
    const targets = tf.tensor1d(targetIds, 'int32');
    const labels = f.labels.arraySync();
    for (const objective of OBJECTIVES) {
      const want = tfjs.lossAndInputGradient(f.x, f.labels, objective, targets);
      const got = onnx.lossAndInputGradient(f.x, f.labels, objective, targets);
      const wantLoss = want.loss.arraySync();
      if (objective !== 'cross-entropy') {
        wantLoss.forEach((v, i) => {
          const expected = dlrByDefinition(rows[i]!, labels[i]!, objective === 'dlr' ? undefined : targetIds[i]);
          assert.ok(
            Math.abs(v - expected) < 1e-5 * Math.max(1, Math.abs(expected)),
            `${objective} ${i}: ${v} vs ${expected}`,
          );
        });
      }
      assert.equal(want.loss.shape[0], n);
      const lossError = l2RelativeError(got.loss.dataSync(), want.loss.dataSync());
      assert.ok(lossError < 1e-5, `${objective} loss: ${lossError}`);
      assert.ok(l2RelativeError(got.logits.dataSync(), logits.dataSync()) < 1e-5, `${objective} logits`);
      const gradientError = l2RelativeError(got.gradient.dataSync(), want.gradient.dataSync());
      assert.ok(gradientError < 1e-4, `${objective} gradient: ‖Δ‖/‖g‖ = ${gradientError}`);
      tf.dispose([want.loss, want.logits, want.gradient, got.loss, got.logits, got.gradient]);
    }
    tf.dispose([logits, targets]);
    f.dispose();
  });
}

test('convnet-mnist: the DLR gradients match central finite differences of the loss along a mixed direction', () => {
  const f = loadFixtureModel('convnet-mnist');
  const model = modelFunction(f.config, f.weights, { training: false });
  const noise = tf.randomNormal(f.x.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
  for (const objective of ['dlr', 'dlr-targeted'] as const) {
    const targets = tf.tensor1d(
      Array.from({ length: f.x.shape[0] }, (_, i) => (((i * 7) % f.d.classes) + 1) % f.d.classes),
      'int32',
    );
    const { loss, logits, gradient } = model.lossAndInputGradient(f.x, f.labels, objective, targets);
    // Half along the gradient (a derivative well above float32's rounding), half random.
    const direction = tf.tidy(() => {
      const unit = (t: tf.Tensor) => tf.div(t, tf.norm(t));
      return tf.add(unit(gradient), unit(noise)) as tf.Tensor4D;
    });
    const analytic = tf.sum(tf.mul(gradient, direction)).dataSync()[0]!;
    const h = 1e-3;
    const sumAt = (sign: number) =>
      tf.tidy(() => {
        const r = model.lossAndInputGradient(
          tf.add(f.x, tf.mul(direction, sign * h)) as tf.Tensor4D,
          f.labels,
          objective,
          targets,
        );
        return tf.sum(r.loss).dataSync()[0]!;
      });
    const numeric = (sumAt(1) - sumAt(-1)) / (2 * h);
    assert.ok(Math.abs(analytic - numeric) < 1e-2 * Math.abs(numeric), `${objective}: ${analytic} vs ${numeric}`);
    tf.dispose([loss, logits, gradient, targets, direction]);
  }
  noise.dispose();
  f.dispose();
});

test('repeated one-pass APGD readings leave tf.memory().numTensors unchanged on both engines', () => {
  const f = loadFixtureModel('convnet-mnist');
  const models = [
    modelFunction(f.config, f.weights, { training: false }),
    tfjsModelFunction(f.config, f.weights, { training: false }),
  ];
  const targets = tf.tensor1d(
    Array.from({ length: f.x.shape[0] }, (_, i) => (i + 3) % f.d.classes),
    'int32',
  );
  const step = () => {
    for (const model of models)
      for (const objective of OBJECTIVES) {
        const r = model.lossAndInputGradient(f.x, f.labels, objective, targets);
        tf.dispose([r.loss, r.logits, r.gradient]);
      }
  };
  step();
  const before = tf.memory().numTensors;
  step();
  step();
  assert.equal(tf.memory().numTensors, before);
  targets.dispose();
  f.dispose();
});
