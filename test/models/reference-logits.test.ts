import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { architecture } from '../../src/models/registry.ts';
import {
  describeFixture,
  FIXTURE_DIR,
  loadFixtureModel,
  MODEL_FIXTURES,
  maxAbsDifference,
  readFloats,
} from '../helpers/fixtures.ts';

for (const backend of ['wasm', 'cpu'] as const) {
  for (const name of MODEL_FIXTURES) {
    for (const extension of ['pt', 'safetensors']) {
      test(`${name}.${extension} on ${backend}: logits match PyTorch (eval < 1e-4, train < 1e-3), running statistics too`, async () => {
        await selectBackend(backend);
        const { d, config, weights, x, dispose } = loadFixtureModel(name, { extension });
        const before = tf.memory().numTensors;
        const net = architecture(config.arch);
        const evalLogits = tf.tidy(() => net.forward(weights, x, config, { training: false }).logits.dataSync());
        const train = tf.tidy(() => {
          const { logits, state } = net.forward(weights, x, config, { training: true });
          return { logits, state };
        });
        const evalError = maxAbsDifference(evalLogits, readFloats(`${FIXTURE_DIR}${name}.logits-eval.f32`));
        const trainError = maxAbsDifference(
          train.logits.dataSync(),
          readFloats(`${FIXTURE_DIR}${name}.logits-train.f32`),
        );
        assert.ok(evalError < 1e-4, `eval logits: max abs error ${evalError}`);
        assert.ok(trainError < 1e-3, `train logits: max abs error ${trainError}`);
        // The reference WideResNet's sub_block1 never runs; weightscape does not keep it.
        const used = (key: string) => !key.startsWith('sub_block1.');
        for (const [key, expected] of Object.entries(d.runningStatsAfterTrainPass).filter(([k]) => used(k))) {
          const error = maxAbsDifference(train.state[key]!.dataSync(), expected);
          assert.ok(error < 1e-5, `${key} after one train-mode pass: max abs error ${error}`);
        }
        for (const [key, expected] of Object.entries(d.numBatchesTrackedAfterTrainPass).filter(([k]) => used(k))) {
          assert.equal(train.state[key]!.dataSync()[0], expected, key);
        }
        tf.dispose([train.logits, ...Object.values(train.state)]);
        assert.equal(tf.memory().numTensors, before, 'forward passes leaked tensors');
        dispose();
      });
    }
  }
}

test('loading notes: module. prefix and state_dict wrapper, sub_block1 ignored', async () => {
  await selectBackend('wasm');
  const wrapped = loadCheckpoint(`${FIXTURE_DIR}preact-resnet18.pt`);
  assert.ok(
    wrapped.notes.some((n) => n.includes("state dict read from key 'state_dict' (also in the file: epoch)")),
    wrapped.notes.join('; '),
  );
  assert.ok(wrapped.notes.some((n) => n.includes("stripped the 'module.' prefix")));
  assert.ok(wrapped.tensors.has('layer1.0.bn1.running_mean'));
  const d = describeFixture('wide-resnet');
  const checkpoint = loadCheckpoint(`${FIXTURE_DIR}wide-resnet.pt`);
  const config = resolveModelConfig(checkpoint, { arch: d.arch, options: d.options });
  const { weights, notes } = checkpointToWeights(checkpoint, config);
  assert.deepEqual(notes, ["ignored 12 tensors of the reference code's unused sub_block1"]);
  disposeWeights(weights);
});
