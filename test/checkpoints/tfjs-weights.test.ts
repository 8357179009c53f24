import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { mlp } from '../../src/models/mlp.ts';
import { describeFixture, fixtureInput, FIXTURE_DIR, maxAbsDifference, readFloats } from '../helpers/fixtures.ts';

test('a TF.js weights manifest (TF.js layout, two shards) loads and gives PyTorch logits', async () => {
  await selectBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-tfjs-'));
  try {
    // Take the PyTorch fixture and write its weights the way TF.js stores them (in×out dense kernels).
    const source = loadCheckpoint(`${FIXTURE_DIR}mlp.pt`);
    const weights: Array<{ name: string; shape: number[]; dtype: 'float32' }> = [];
    const chunks: Float32Array[] = [];
    for (const [name, t] of source.tensors) {
      const [rows, cols] = t.shape as [number, number];
      const values =
        t.shape.length === 2
          ? Float32Array.from({ length: rows * cols }, (_, i) => t.values[(i % rows) * cols + Math.floor(i / rows)]!)
          : Float32Array.from(t.values);
      weights.push({ name, shape: t.shape.length === 2 ? [cols, rows] : t.shape, dtype: 'float32' });
      chunks.push(values);
    }
    const all = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer)));
    const half = Math.floor(all.byteLength / 8) * 4;
    writeFileSync(join(dir, 'group1-shard1of2.bin'), all.subarray(0, half));
    writeFileSync(join(dir, 'group1-shard2of2.bin'), all.subarray(half));
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({
        format: 'layers-model',
        weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights }],
      }),
    );
    const checkpoint = loadCheckpoint(join(dir, 'model.json'));
    assert.equal(checkpoint.format, 'tfjs');
    const d = describeFixture('mlp');
    const config = resolveModelConfig(checkpoint, {
      arch: 'mlp',
      options: d.options,
      input: { height: 28, width: 28, channels: 1 },
    });
    const loaded = checkpointToWeights(checkpoint, config).weights;
    const x = fixtureInput('mlp', d);
    const logits = tf.tidy(() => mlp.forward(loaded, x, config as never, { training: false }).logits.dataSync());
    assert.ok(maxAbsDifference(logits, readFloats(`${FIXTURE_DIR}mlp.logits-eval.f32`)) < 1e-4);
    disposeWeights(loaded);
    x.dispose();
    // A manifest whose shards are shorter than its weights is refused.
    writeFileSync(join(dir, 'group1-shard2of2.bin'), all.subarray(half, all.byteLength - 8));
    assert.throws(
      () => loadCheckpoint(join(dir, 'model.json')),
      (e: unknown) => e instanceof WeightscapeError && /needs bytes up to \d+ but the shards hold \d+/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
