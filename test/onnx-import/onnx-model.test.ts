/**
 * Models imported from ONNX files that PyTorch 1.13 exported (fixtures/make_onnx_fixtures.py),
 * against PyTorch's own numbers on both engines: eval logits, the input gradient of the summed
 * cross-entropy, the train-mode parameter gradients, and a 1D loss curve along a saved direction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../../src/checkpoints/host-tensor.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { loadDataset, parseDataSpec } from '../../src/data/dataset.ts';
import { parseRange } from '../../src/landscape/grid.ts';
import { sampleLandscape } from '../../src/landscape/sample-landscape.ts';
import { modelFunction, useEngine } from '../../src/models/engine-registry.ts';
import type { Engine } from '../../src/models/model-function.ts';
import { modelFor } from '../../src/models/registry.ts';
import { toTfjsLayout } from '../../src/models/tensor-layout.ts';
import { tfjsEngine } from '../../src/models/tfjs-engine.ts';
import { ownOnnxEngineInThisFile, useUndisposed } from '../helpers/engine.ts';
import { maxAbsDifference } from '../helpers/fixtures.ts';
import { parsedSettings } from '../helpers/sweep-settings.ts';

const DIR = fileURLToPath(new URL('../../fixtures/onnx/', import.meta.url));
const own = ownOnnxEngineInThisFile();
const engines: [string, () => Engine][] = [
  ['tfjs', () => useUndisposed(tfjsEngine)],
  ['onnxruntime', () => useUndisposed(own.engine())],
];

const dataSpec = (name: string) => `npy:${DIR}${name}.images.npy,${DIR}${name}.labels.npy`;

function open(name: string) {
  const file = `${DIR}${name}.onnx`;
  const checkpoint = loadCheckpoint(file);
  const config = resolveModelConfig(checkpoint, { arch: 'onnx', options: { file } });
  const { weights } = checkpointToWeights(checkpoint, config);
  const data = loadDataset(parseDataSpec(dataSpec(name)), { split: 'test' });
  const x = tf.tensor4d(data.images, data.shape);
  const labels = tf.tensor1d(data.labels, 'int32');
  const reference = loadCheckpoint(`${DIR}${name}.reference.safetensors`).tensors;
  return { file, config, weights, x, labels, reference };
}

const NETWORKS = [
  { name: 'resnet-ish', skip: false },
  { name: 'mobilenet-ish', skip: false },
];

for (const { name, skip } of NETWORKS) {
  for (const [engineName, engine] of engines) {
    test(
      `${name}.onnx on ${engineName}: logits, input and parameter gradients equal PyTorch's to 1e-4`,
      { skip },
      () => {
        useEngine(engine());
        const f = open(name);
        assert.deepEqual(f.config.input, { height: 16, width: 16, channels: 3 });
        assert.equal(f.config.classes, 10);
        const before = tf.memory().numTensors;
        const evaluation = modelFunction(f.config, f.weights, { training: false });
        const logits = tf.tidy(() => evaluation.logits(f.x).dataSync());
        const logitsError = maxAbsDifference(logits, f.reference.get('logits')!.values);
        assert.ok(logitsError < 1e-4, `logits: max abs error ${logitsError}`);
        const gradient = tf.tidy(() => evaluation.crossEntropyInputGradient(f.x, f.labels).dataSync());
        const gradientError = maxAbsDifference(gradient, f.reference.get('input_gradient')!.values);
        assert.ok(gradientError < 1e-4, `input gradient: max abs error ${gradientError}`);
        const training = modelFunction(f.config, f.weights, { training: true, seed: 0 }).trainingGradients(
          f.x,
          f.labels,
        );
        const specs = new Map(
          modelFor(f.config)
            .tensorSpecs()
            .map((s) => [s.name, s]),
        );
        const names = Object.keys(f.weights.params);
        assert.ok(names.length > 10);
        for (const key of names) {
          const host = f.reference.get(`grad.${key}`)!;
          const want = tf.tidy(() => toTfjsLayout(tf.tensor(host.values, host.shape), specs.get(key)!.role).dataSync());
          const error = maxAbsDifference(training.grads[key]!.dataSync(), want);
          assert.ok(error < 1e-4, `∂L/∂${key}: max abs error ${error}`);
        }
        tf.dispose([training.loss, ...Object.values(training.grads), ...Object.values(training.state)]);
        assert.equal(tf.memory().numTensors, before, 'leaked tensors');
        tf.dispose([f.x, f.labels, ...Object.values(f.weights.params), ...Object.values(f.weights.state)]);
      },
    );

    test(
      `${name}.onnx on ${engineName}: the exact Hessian-vector product equals PyTorch's double backward`,
      { skip },
      () => {
        useEngine(engine());
        const f = open(name);
        const specs = new Map(
          modelFor(f.config)
            .tensorSpecs()
            .map((s) => [s.name, s]),
        );
        const direction = loadCheckpoint(`${DIR}${name}.direction.safetensors`).tensors;
        const inTfjsLayout = (key: string, prefix: string, source: Map<string, HostTensor>) => {
          const host = source.get(`${prefix}${key}`)!;
          return toTfjsLayout(tf.tensor(host.values, host.shape), specs.get(key)!.role);
        };
        const names = Object.keys(f.weights.params);
        const v = Object.fromEntries(names.map((key) => [key, inTfjsLayout(key, '', direction)]));
        const hv = modelFunction(f.config, f.weights, { training: false }).hessianVectorProduct(f.x, f.labels, v);
        let scale = 0;
        let error = 0;
        for (const key of names) {
          const want = tf.tidy(() => inTfjsLayout(key, 'hv.', f.reference).dataSync());
          scale = Math.max(scale, ...Array.from(want, Math.abs));
          error = Math.max(error, maxAbsDifference(hv[key]!.dataSync(), want));
        }
        assert.ok(scale > 1e-3, `H·d is not trivial (max ${scale})`);
        assert.ok(error < 1e-4 * Math.max(1, scale), `H·d: max abs error ${error} (max |H·d| ${scale})`);
        tf.dispose([...Object.values(v), ...Object.values(hv)]);
        tf.dispose([f.x, f.labels, ...Object.values(f.weights.params), ...Object.values(f.weights.state)]);
      },
    );

    test(
      `${name}.onnx on ${engineName}: the loss curve along PyTorch's direction equals PyTorch's to 1e-4`,
      { skip },
      () => {
        useEngine(engine());
        const expected = JSON.parse(readFileSync(`${DIR}${name}.curve.json`, 'utf8')) as { loss: number[] };
        const file = `${DIR}${name}.onnx`;
        const result = sampleLandscape({
          settings: parsedSettings({
            checkpoint: file,
            data: dataSpec(name),
            split: 'test',
            subset: null,
            batchSize: 8,
            loss: 'clean',
            attack: 'none',
            fixedExamples: false,
            bn: 'eval',
            recalibrationBatches: 1,
            directions: [`file:${DIR}${name}.direction.safetensors`],
            includeBn: false,
            alphas: parseRange('-1:1:5'),
            betas: null,
            seed: 0,
          }),
          model: { arch: 'onnx', options: { file } },
          backend: own.backend(),
        });
        const losses = result.values.cleanLoss[0]! as number[];
        losses.forEach((l, i) =>
          assert.ok(Math.abs(l - expected.loss[i]!) < 1e-4, `α index ${i}: ${l} vs PyTorch ${expected.loss[i]}`),
        );
        assert.equal(result.model.arch, 'onnx');
      },
    );
  }
}

for (const [engineName, engine] of engines) {
  test(`variants.onnx on ${engineName}: other spellings of the operators give PyTorch's logits`, () => {
    useEngine(engine());
    const file = `${DIR}variants.onnx`;
    const checkpoint = loadCheckpoint(file);
    // A fresh BatchNorm: the exporter shares weight/running_var and bias/running_mean (Identity nodes).
    assert.deepEqual(checkpoint.tensors.get('features.1.running_var')!.values, new Float32Array(8).fill(1));
    const config = resolveModelConfig(checkpoint, { arch: 'onnx', options: { file } });
    const { weights } = checkpointToWeights(checkpoint, config);
    const reference = loadCheckpoint(`${DIR}variants.reference.safetensors`).tensors;
    const x = reference.get('x')!;
    const logits = tf.tidy(() =>
      modelFunction(config, weights, { training: false })
        .logits(tf.tensor4d(x.values as Float32Array, x.shape as [number, number, number, number]))
        .dataSync(),
    );
    const error = maxAbsDifference(logits, reference.get('logits')!.values);
    assert.ok(error < 1e-4, `logits: max abs error ${error}`);
    tf.dispose([...Object.values(weights.params), ...Object.values(weights.state)]);
  });
}

test('--model with a separate checkpoint: a PyTorch state dict loads by name and shape, a foreign one is refused', () => {
  useEngine(useUndisposed(tfjsEngine));
  const file = `${DIR}resnet-ish.onnx`;
  const state = loadCheckpoint(`${DIR}resnet-ish.state.safetensors`);
  const config = resolveModelConfig(state, { arch: 'onnx', options: { file } });
  const { weights, notes } = checkpointToWeights(state, config);
  assert.deepEqual(notes, []);
  // The state dict's own counts, where the ONNX file has none.
  assert.equal(weights.state['layer1.bn1.num_batches_tracked']!.dataSync()[0], 17);
  const f = open('resnet-ish');
  const logits = tf.tidy(() => modelFunction(config, weights, { training: false }).logits(f.x).dataSync());
  const error = maxAbsDifference(logits, f.reference.get('logits')!.values);
  assert.ok(error < 1e-4, `logits: max abs error ${error}`);
  tf.dispose([f.x, f.labels, ...Object.values(f.weights.params), ...Object.values(f.weights.state)]);
  tf.dispose([...Object.values(weights.params), ...Object.values(weights.state)]);
  // --model names another file than the checkpoint's metadata: its graph decides, and the tensors do not fit it.
  const foreign = loadCheckpoint(`${DIR}mobilenet-ish.onnx`);
  assert.throws(
    () => checkpointToWeights(foreign, resolveModelConfig(foreign, { arch: 'onnx', options: { file } })),
    /mobilenet-ish\.onnx: does not fit onnx .*: stem\.weight has shape \[8, 3, 3, 3\] but onnx expects \[4, 3, 3, 3\]; missing stem\.bias \[4\]/,
  );
});
