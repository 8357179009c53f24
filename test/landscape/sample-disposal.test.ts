import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { sampleLandscape, type LandscapeSettings } from '../../src/landscape/sample-landscape.ts';
import { parsedSettings } from '../helpers/sweep-settings.ts';

const CHECKPOINT = fileURLToPath(new URL('../../fixtures/attacks/convnet-mini.pt', import.meta.url));

test('a sweep that fails after opening the checkpoint leaves no tensor behind (weights and directions leaked)', async () => {
  const backend = await selectBackend('wasm');
  const settings: LandscapeSettings = {
    checkpoint: CHECKPOINT,
    data: 'mini',
    split: 'test',
    subset: 10,
    batchSize: 10,
    loss: 'clean',
    attack: 'none',
    fixedExamples: false,
    bn: 'eval',
    recalibrationBatches: 1,
    directions: ['filter'],
    includeBn: false,
    alphas: [0, 1],
    betas: null,
    seed: 0,
  };
  const before = tf.memory().numTensors;
  // Saving the direction fails once the weights are mapped and the direction built.
  assert.throws(() =>
    sampleLandscape({
      settings: parsedSettings(settings),
      model: { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 } },
      backend,
      saveDirections: ['/nonexistent-weightscape-dir/d.safetensors'],
    }),
  );
  assert.equal(tf.memory().numTensors, before);
});
