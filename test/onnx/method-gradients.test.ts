/**
 * TRADES' and MART's training gradients and the TRADES-KL and CW-margin input gradients of both
 * engines (onnxruntime, and tfjs with --no-onnxruntime) against tfjs autodiff of the losses on
 * the cpu backend, on the model fixtures (BatchNorm, blocked NCHWc convolutions, dropout).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { cwMarginPerExample } from '../../src/models/loss.ts';
import { activeEngine, modelFunction } from '../../src/models/engine-registry.ts';
import type { ModelFunction, TrainingGradients } from '../../src/models/model-function.ts';
import { tfjsModelFunction } from '../../src/models/tfjs-engine.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../../src/models/types.ts';
import { methodLoss, type StepSettings } from '../../src/train/train-step.ts';
import { selectBackendAndEngine, useOnnxruntimeInThisFile } from '../helpers/engine.ts';
import { loadFixtureModel, maxAbsDifference } from '../helpers/fixtures.ts';
import { l2RelativeError } from '../helpers/reference-ops.ts';

useOnnxruntimeInThisFile();

const BETA = 6;
const SEED = 3;

/**
 * An adversarial-looking batch: x moved by ±eps per pixel (seeded), kept in [0, 1]. The KL's
 * gradient q − p is small near x, so the attack test moves further to keep rounding below 1e-4 of it.
 */
const nearby = (x: tf.Tensor4D, eps = 0.03): tf.Tensor4D =>
  tf.tidy(() =>
    tf.clipByValue(tf.add(x, tf.mul(tf.sign(tf.randomNormal(x.shape, 0, 1, 'float32', 11)), eps)), 0, 1),
  ) as tf.Tensor4D;

/** train-step's methodLoss (the tfjs forwards of both passes) by tfjs autodiff: the reference. */
function autodiffMethodGradients(
  method: 'trades' | 'mart',
  config: ModelConfig,
  weights: ModelWeights,
  batch: { x: tf.Tensor4D; xAdv: tf.Tensor4D; labels: tf.Tensor1D },
): TrainingGradients {
  const names = Object.keys(weights.params);
  const settings = { method, beta: BETA, seed: SEED } as StepSettings;
  let state: TensorMap = {};
  const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
    const params = Object.fromEntries(names.map((n, i) => [n, ps[i]!]));
    const result = methodLoss(config, params, weights.state, batch, settings);
    state = Object.fromEntries(Object.entries(result.state).map(([k, t]) => [k, tf.keep(t)]));
    return result.loss;
  })(names.map((n) => weights.params[n]!));
  return { loss: value, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!])), state };
}

const disposeGradients = (g: TrainingGradients) =>
  tf.dispose([g.loss, ...Object.values(g.grads), ...Object.values(g.state)]);

function assertSameGradients(label: string, got: TrainingGradients, want: TrainingGradients): void {
  const [gotLoss, wantLoss] = [got.loss.dataSync()[0]!, want.loss.dataSync()[0]!];
  assert.ok(Math.abs(gotLoss - wantLoss) < 1e-5 * Math.abs(wantLoss), `${label}: loss ${gotLoss} vs ${wantLoss}`);
  assert.deepEqual(Object.keys(got.grads).sort(), Object.keys(want.grads).sort());
  for (const [param, g] of Object.entries(want.grads)) {
    const error = l2RelativeError(got.grads[param]!.dataSync(), g.dataSync());
    assert.ok(error < 1e-4, `${label}, ${param}: ‖Δ‖/‖g‖ = ${error}`);
  }
  assert.deepEqual(Object.keys(got.state).sort(), Object.keys(want.state).sort());
  for (const [key, t] of Object.entries(want.state)) {
    const error = maxAbsDifference(got.state[key]!.dataSync(), t.dataSync());
    assert.ok(error < 1e-5, `${label}, ${key}: max |Δ| = ${error}`);
  }
}

/** Both engines' model functions of one fixture (onnxruntime in use). */
function bothEngines(
  config: ModelConfig,
  weights: ModelWeights,
  options: { training: boolean; seed?: number },
): Record<string, ModelFunction> {
  assert.equal(activeEngine().name, 'onnxruntime');
  return { onnxruntime: modelFunction(config, weights, options), tfjs: tfjsModelFunction(config, weights, options) };
}

// Two models with BatchNorm and residual blocks would not test more than one: the two-pass graph
// and the loss heads are the same code for every model (wide-resnet's cpu autodiff reference
// alone took ~55 s of the suite); its eval-mode attack gradients are tested below.
for (const [name, options] of [
  ['preact-resnet18', {}],
  ['convnet-mnist', { dropout: 0.5 }],
] as const) {
  const title =
    `${name}${'dropout' in options ? ` with dropout ${options.dropout}` : ''}: TRADES and MART loss, ` +
    'parameter gradients (‖Δ‖/‖g‖ < 1e-4) and BatchNorm state after both passes equal tfjs autodiff, both engines';
  test(title, async () => {
    await selectBackendAndEngine('cpu', { onnxruntime: true });
    const f = loadFixtureModel(name, { options });
    const xAdv = nearby(f.x);
    const batch = { x: f.x, xAdv, labels: f.labels };
    for (const method of ['trades', 'mart'] as const) {
      const want = autodiffMethodGradients(method, f.config, f.weights, batch);
      const engines = bothEngines(f.config, f.weights, { training: true, seed: SEED });
      for (const [engine, model] of Object.entries(engines)) {
        const got = model.methodGradients(method, f.x, xAdv, f.labels, BETA);
        assertSameGradients(`${engine} ${method}`, got, want);
        disposeGradients(got);
      }
      disposeGradients(want);
    }
    xAdv.dispose();
    f.dispose();
    await selectBackendAndEngine('wasm', { onnxruntime: true });
  });
}

/** ∂/∂x′ Σ_i KL(p_i ‖ softmax f(x′_i)) with p = softmax f(x), and ∂/∂x Σ_i CW margin_i, by tfjs autodiff. */
function autodiffAttackGradients(model: ModelFunction, x: tf.Tensor4D, xAdv: tf.Tensor4D, labels: tf.Tensor1D) {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(model.forward(x).logits);
    const kl = tf.grad((input: tf.Tensor) =>
      tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, tf.logSoftmax(model.forward(input as tf.Tensor4D).logits)))),
    )(xAdv);
    const margin = tf.grad((input: tf.Tensor) =>
      tf.sum(cwMarginPerExample(model.forward(input as tf.Tensor4D).logits, labels)),
    )(xAdv);
    return { kl: kl.dataSync(), margin: margin.dataSync() };
  });
}

// Not resnet50: its 50 layers with random eval-mode statistics put PyTorch's own float32 KL input gradient
// ~1e-4 off float64 (fixtures/make_model_fixtures.py); its parameter gradients are in onnx-engine.test.ts.
for (const name of ['preact-resnet18', 'wide-resnet', 'resnet18', 'resnet18-imagenet', 'convnet-cifar']) {
  test(`${name}, eval mode: the TRADES-KL and CW-margin input gradients equal tfjs autodiff, both engines`, async () => {
    await selectBackendAndEngine('cpu', { onnxruntime: true });
    const f = loadFixtureModel(name);
    const xAdv = nearby(f.x, 0.1);
    const engines = bothEngines(f.config, f.weights, { training: false });
    const want = autodiffAttackGradients(engines.tfjs!, f.x, xAdv, f.labels);
    for (const [engine, model] of Object.entries(engines)) {
      const got = tf.tidy(() => {
        const probs = tf.softmax(model.logits(f.x));
        return {
          kl: model.softCrossEntropyInputGradient(xAdv, probs).dataSync(),
          margin: model.marginInputGradient(xAdv, f.labels).dataSync(),
        };
      });
      for (const loss of ['kl', 'margin'] as const) {
        const error = l2RelativeError(got[loss], want[loss]);
        assert.ok(error < 1e-4, `${engine} ${loss}: ‖Δ‖/‖g‖ = ${error}`);
      }
    }
    xAdv.dispose();
    f.dispose();
    await selectBackendAndEngine('wasm', { onnxruntime: true });
  });
}

test('repeated TRADES, MART, KL and margin gradients leave tf.memory().numTensors unchanged', () => {
  const f = loadFixtureModel('preact-resnet18');
  const xAdv = nearby(f.x);
  const training = modelFunction(f.config, f.weights, { training: true, seed: 1 });
  const attack = modelFunction(f.config, f.weights, { training: false });
  const step = () => {
    for (const method of ['trades', 'mart'] as const)
      disposeGradients(training.methodGradients(method, f.x, xAdv, f.labels, BETA));
    tf.tidy(() => {
      attack.softCrossEntropyInputGradient(xAdv, tf.softmax(attack.logits(f.x)));
      attack.marginInputGradient(xAdv, f.labels);
    });
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
  xAdv.dispose();
  f.dispose();
});
