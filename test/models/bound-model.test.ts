import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { architecture, modelFor } from '../../src/models/registry.ts';
import type { ModelConfig } from '../../src/models/types.ts';
import { initWeights } from '../../src/train/init-weights.ts';
import { mnistConvnet } from '../helpers/model-configs.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('modelFor binds a configuration: the same tensors, unused tensors and logits as the architecture given it each time', async () => {
  await selectBackend('cpu');
  const config = mnistConvnet(4, 8);
  const model = modelFor(config);
  assert.deepEqual(model.tensorSpecs(), architecture('convnet').tensorSpecs(config));
  assert.equal(model.unusedTensors(), undefined);
  const wide: ModelConfig = {
    arch: 'wide-resnet',
    options: { depth: 10, widen: 1 },
    input: { height: 32, width: 32, channels: 3 },
    classes: 10,
  };
  assert.ok(
    modelFor(wide)
      .unusedTensors()!
      .specs.every((s) => s.name.startsWith('sub_block1.')),
  );
  const weights = initWeights(config, 3);
  const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const bound = model.forward(weights, x, { training: false }).logits;
  const unbound = architecture('convnet').forward(weights, x, config, { training: false }).logits;
  assert.deepEqual(Array.from(bound.dataSync()), Array.from(unbound.dataSync()));
  tf.dispose([bound, unbound, x, ...Object.values(weights.params), ...Object.values(weights.state)]);
});

test('no source file casts a configuration to ModelConfig<never>', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  const casting = files(SRC).filter((f) => readFileSync(f, 'utf8').includes('as ModelConfig<never>'));
  assert.deepEqual(casting, []);
});
