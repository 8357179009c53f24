import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { buildDirection, type DirectionContext } from '../../src/directions/build-direction.ts';
import { formatDirection, parseDirection } from '../../src/directions/direction-spec.ts';
import { initWeights } from '../../src/train/init-weights.ts';
import type { ModelConfig, TensorMap } from '../../src/models/types.ts';

test('filter:seed=<n> parses, prints back the same, and other spellings are refused', () => {
  for (const text of ['filter:seed=3', 'random:seed=0', 'layer:seed=123456', 'filter', 'adversarial'])
    assert.equal(formatDirection(parseDirection(text)), text);
  assert.deepEqual(parseDirection('filter:seed=7'), { kind: 'filter', seed: 7 });
  for (const bad of ['filter:seed=', 'filter:seed=-1', 'filter:seed=1.5', 'hessian:seed=1', 'filter:3'])
    assert.throws(() => parseDirection(bad), /--direction .*: expected random, filter, layer/);
});

test("a seeded filter direction is the sweep-seeded one at that seed, independent of the sweep's seed", async () => {
  await selectBackend('cpu');
  const config: ModelConfig = {
    arch: 'mlp',
    options: { hidden: [6] },
    input: { height: 3, width: 3, channels: 1 },
    classes: 4,
  };
  const weights = initWeights(config, 1);
  const context = (seed: number): DirectionContext => ({
    weights,
    config,
    batches: [],
    includeBn: false,
    seed,
    adversarialLoss: false,
  });
  const values = (d: TensorMap) => Object.values(d).flatMap((t) => Array.from(t.dataSync()));
  const seeded = buildDirection(parseDirection('filter:seed=5'), context(0));
  const plain = buildDirection(parseDirection('filter'), context(5));
  const other = buildDirection(parseDirection('filter'), context(0));
  assert.deepEqual(values(seeded.direction), values(plain.direction));
  assert.notDeepEqual(values(seeded.direction), values(other.direction));
  assert.equal(seeded.info.seed, 5);
  assert.equal(seeded.info.spec, 'filter:seed=5');
  for (const d of [seeded, plain, other]) tf.dispose(Object.values(d.direction));
  tf.dispose([...Object.values(weights.params), ...Object.values(weights.state)]);
});
