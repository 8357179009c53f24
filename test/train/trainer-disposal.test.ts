import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { resolveTrainConfig } from '../../src/train/train-config.ts';
import { train } from '../../src/train/trainer.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-train-disposal-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('a run that stops on a non-finite loss leaves no tensor behind (its weights and momentum leaked)', async () => {
  const backend = await selectBackend('wasm');
  const config = resolveTrainConfig({
    arch: 'mlp',
    archOptions: { hidden: '8' },
    data: 'mini',
    subset: 20,
    method: 'standard',
    epochs: 1,
    batchSize: 10,
    evalSubset: 10,
    lr: 1e38,
  });
  const before = tf.memory().numTensors;
  assert.throws(
    () => train({ config, outDir: join(dir, 'run'), resume: false, backend }),
    (e: unknown) =>
      e instanceof WeightscapeError && /^training loss is (NaN|-?Infinity) at epoch 1, batch \d/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, before);
});
