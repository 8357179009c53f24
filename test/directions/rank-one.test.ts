import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { saveNativeCheckpoint } from '../../src/checkpoints/native-checkpoint.ts';
import { buildDirection, type DirectionContext } from '../../src/directions/build-direction.ts';
import { saveDirection } from '../../src/directions/direction-file.ts';
import { parseDirection } from '../../src/directions/direction-spec.ts';
import { gaussianDirection } from '../../src/directions/random-direction.ts';
import type { TensorMap } from '../../src/models/types.ts';

const FIX = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-directions-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const maxAbs = (t: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);

test('with includeBn false every direction kind gives exactly 0 on every parameter of rank ≤ 1 (biases, BatchNorm)', async () => {
  await selectBackend('wasm');
  // preact-resnet18 has BatchNorm γ/β and a linear bias.
  const checkpoint = loadCheckpoint(`${FIX}models/preact-resnet18.pt`);
  const config = resolveModelConfig(checkpoint, { arch: 'preact-resnet18', options: { width: 4 } });
  const { weights } = checkpointToWeights(checkpoint, config);
  const vectors = Object.entries(weights.params)
    .filter(([, p]) => p.rank <= 1)
    .map(([n]) => n);
  assert.ok(vectors.some((n) => n.includes('bn')) && vectors.length > 10, `rank ≤ 1 parameters: ${vectors.join(', ')}`);

  // A second checkpoint (θ plus noise everywhere) and a direction file that moves every parameter.
  const noise = gaussianDirection(weights.params, 5);
  const other = tf.tidy(
    () =>
      Object.fromEntries(
        Object.entries(weights.params).map(([n, p]) => [n, tf.add(p, tf.mul(noise[n]!, 0.01))]),
      ) as TensorMap,
  );
  const otherPath = join(dir, 'other.safetensors');
  saveNativeCheckpoint(otherPath, { params: other, state: weights.state }, config);
  const filePath = join(dir, 'direction.safetensors');
  saveDirection(filePath, noise, config, {});
  tf.dispose([...Object.values(noise), ...Object.values(other)]);

  const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
  const batches = [{ x, xAdv: x, labels }];
  const before = tf.memory().numTensors;
  for (const text of [
    'random',
    'filter',
    'layer',
    'adversarial',
    'hessian',
    `interpolate:${otherPath}`,
    `file:${filePath}`,
  ]) {
    for (const includeBn of [false, true]) {
      if (text === 'hessian' && includeBn) continue; // slow, and the same code path as adversarial for this rule
      const context: DirectionContext = { weights, config, batches, includeBn, seed: 3, adversarialLoss: false };
      const { direction, info } = buildDirection(parseDirection(text), context);
      assert.equal(info.includeBn, includeBn);
      const moved = vectors.filter((n) => maxAbs(direction[n]!) > 0);
      if (includeBn) {
        // The rule is what zeroes them: these kinds do move rank ≤ 1 parameters when asked to.
        if (text !== 'adversarial')
          assert.ok(moved.length > 0, `${text} --include-bn should move some of ${vectors.join(', ')}`);
      } else {
        assert.deepEqual(moved, [], `${text}: these rank ≤ 1 parameters moved`);
      }
      assert.ok(
        Object.entries(direction).some(([n, d]) => d.rank > 1 && maxAbs(d) > 0 && weights.params[n] !== undefined),
        `${text}: the weights move`,
      );
      tf.dispose(Object.values(direction));
    }
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, labels]);
  disposeWeights(weights);
});
