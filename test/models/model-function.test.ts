/**
 * The model-function interface: the tfjs and onnxruntime engines give the same logits, the same
 * input gradient of Σ CE and the same training gradients on a fixture model; the tfjs engine
 * computes exactly what the callers computed before the interface; and only the engines know
 * which engine answers (backend/ imports nothing from onnx/, callers ask no `.native`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { activeEngine, modelFunction, releaseEngine, useEngine } from '../../src/models/engine-registry.ts';
import { crossEntropyPerExample } from '../../src/models/loss.ts';
import type { Engine } from '../../src/models/model-function.ts';
import { architecture } from '../../src/models/registry.ts';
import { tfjsEngine } from '../../src/models/tfjs-engine.ts';
import { createOnnxEngine } from '../../src/onnx/onnx-engine.ts';
import { FIXTURE_DIR, loadFixtureModel, maxAbsDifference, readFloats } from '../helpers/fixtures.ts';
import { l2RelativeError } from '../helpers/reference-ops.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let onnx: Engine | string;

before(async () => {
  await selectBackend('cpu');
  onnx = createOnnxEngine(1);
});
after(() => {
  if (typeof onnx !== 'string') onnx.dispose();
  releaseEngine();
});

const loadFixture = (name: string) => loadFixtureModel(name);

test('tfjs engine: logits and Σ CE input gradient are exactly the architecture forward and its autodiff', () => {
  const f = loadFixture('preact-resnet18');
  const model = tfjsEngine.modelFunction(f.config, f.weights, { training: false });
  const forward = (x: tf.Tensor4D) =>
    architecture(f.config.arch).forward(f.weights, x, f.config, { training: false }).logits;
  assert.deepEqual(
    tf.tidy(() => model.logits(f.x).dataSync()),
    tf.tidy(() => forward(f.x).dataSync()),
  );
  const want = tf.tidy(() =>
    tf
      .grad((x: tf.Tensor) => tf.sum(crossEntropyPerExample(forward(x as tf.Tensor4D), f.labels)))(f.x)
      .dataSync(),
  );
  assert.deepEqual(
    tf.tidy(() => model.crossEntropyInputGradient(f.x, f.labels).dataSync()),
    want,
  );
  // Against PyTorch's logits, so that "the same" above is not two equal wrongs.
  assert.ok(
    maxAbsDifference(
      tf.tidy(() => model.logits(f.x).dataSync()),
      readFloats(`${FIXTURE_DIR}preact-resnet18.logits-eval.f32`),
    ) < 1e-4,
  );
  f.dispose();
});

for (const name of ['convnet-mnist', 'preact-resnet18']) {
  test(`${name}: the onnxruntime and tfjs engines give the same logits, Σ CE input gradient and training gradients`, (t) => {
    if (typeof onnx === 'string') {
      t.skip(`onnxruntime not available: ${onnx}`);
      return;
    }
    const f = loadFixture(name);
    const before = tf.memory().numTensors;
    for (const training of [false, true]) {
      const [a, b] = [tfjsEngine, onnx].map((engine) =>
        engine.modelFunction(f.config, f.weights, { training, seed: 1 }),
      );
      const logits = [a!, b!].map((m) => tf.tidy(() => m.logits(f.x).dataSync()));
      assert.ok(maxAbsDifference(logits[0]!, logits[1]!) < 1e-4, `${training ? 'train' : 'eval'} logits`);
      const grads = [a!, b!].map((m) => tf.tidy(() => m.crossEntropyInputGradient(f.x, f.labels).dataSync()));
      assert.ok(l2RelativeError(grads[1]!, grads[0]!) < 1e-4, `${training ? 'train' : 'eval'} input gradient`);
    }
    const [a, b] = [tfjsEngine, onnx].map((engine) =>
      engine.modelFunction(f.config, f.weights, { training: true, seed: 2 }).trainingGradients(f.x, f.labels),
    );
    assert.ok(Math.abs(a!.loss.dataSync()[0]! - b!.loss.dataSync()[0]!) < 1e-5, 'loss');
    for (const [param, g] of Object.entries(a!.grads))
      assert.ok(l2RelativeError(b!.grads[param]!.dataSync(), g.dataSync()) < 1e-4, param);
    assert.deepEqual(Object.keys(b!.state).sort(), Object.keys(a!.state).sort());
    for (const r of [a!, b!]) tf.dispose([r.loss, ...Object.values(r.grads), ...Object.values(r.state)]);
    assert.equal(tf.memory().numTensors, before, 'the engines leaked tensors');
    f.dispose();
  });
}

test('modelFunction asks the engine in use; putting another in use disposes the previous one', () => {
  let disposed = 0;
  const fake: Engine = {
    ...tfjsEngine,
    name: 'onnxruntime',
    dispose: () => {
      disposed++;
    },
  };
  useEngine(fake);
  assert.equal(activeEngine(), fake);
  useEngine(fake);
  assert.equal(disposed, 0, 'the engine in use is not disposed by using it again');
  releaseEngine();
  assert.equal(disposed, 1);
  assert.equal(activeEngine(), tfjsEngine);
  const f = loadFixture('mlp');
  assert.deepEqual(
    tf.tidy(() => modelFunction(f.config, f.weights, { training: false }).logits(f.x).dataSync()),
    tf.tidy(() => tfjsEngine.modelFunction(f.config, f.weights, { training: false }).logits(f.x).dataSync()),
  );
  f.dispose();
});

function sources(dir: string): string[] {
  return readdirSync(`${ROOT}${dir}`, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mjs)$/.test(f))
    .map((f) => `${dir}/${f}`);
}

test('backend/ imports nothing from onnx/, and no caller asks which engine answers', () => {
  for (const file of sources('src/backend')) {
    assert.doesNotMatch(readFileSync(`${ROOT}${file}`, 'utf8'), /from '\.\.\/onnx\//, `${file} imports from src/onnx/`);
  }
  for (const file of ['attacks', 'eval', 'landscape', 'directions', 'train']
    .flatMap((d) => sources(`src/${d}`))
    .concat(sources('bench'))) {
    const text = readFileSync(`${ROOT}${file}`, 'utf8');
    assert.doesNotMatch(
      text,
      /\.native\b|onnxRuntimeActive|nativeTrainingGradients/,
      `${file} asks for the onnxruntime path`,
    );
    assert.doesNotMatch(
      text,
      /from '(\.\.\/)+(src\/)?onnx\/(?!select-engine)/,
      `${file} imports the onnxruntime engine's internals`,
    );
  }
});
