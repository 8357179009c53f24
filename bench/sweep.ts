/**
 * Adversarial landscape points through `weightscape sample`'s own code: a checkpoint and a batch
 * of 128 random images written to a temporary folder, then a 1D sweep along a filter-normalized
 * random direction with PGD-10 regenerated at every point (BatchNorm in eval mode).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseAttack } from '../src/attacks/attack-spec.ts';
import { serializeNativeCheckpoint } from '../src/checkpoints/native-checkpoint.ts';
import { parseDataSpec } from '../src/data/dataset.ts';
import { serializeNpy } from '../src/data/npy.ts';
import { sampleInWorkers } from '../src/landscape/parallel-sample.ts';
import { sampleLandscape, type SampleRequest, type SweepSettings } from '../src/landscape/sample-landscape.ts';
import type { ModelConfig } from '../src/models/types.ts';
import { initWeights } from '../src/train/init-weights.ts';
import { BENCH_BATCH, PGD10_FLAG } from './workloads.ts';

export interface SweepInputs {
  /** A 1D adversarial sweep of `points` points in [-1, 1]. */
  settings: (points: number) => SweepSettings;
  /** A points × points 2D sweep of the clean loss in [-1, 1]² (two filter-normalized directions). */
  cleanGrid: (points: number) => SweepSettings;
  dispose(): void;
}

export function prepareSweep(config: ModelConfig, batch = BENCH_BATCH): SweepInputs {
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-bench-'));
  const weights = initWeights(config, 1);
  const checkpoint = join(dir, 'model.safetensors');
  writeFileSync(checkpoint, serializeNativeCheckpoint(weights, config));
  tf.dispose([...Object.values(weights.params), ...Object.values(weights.state)]);
  const { height, width, channels } = config.input;
  const images = tf.tidy(
    () => tf.randomUniform([batch, height, width, channels], 0, 1, 'float32', 4).dataSync() as Float32Array,
  );
  const labels = Int32Array.from({ length: batch }, (_, i) => i % config.classes);
  writeFileSync(
    join(dir, 'x.npy'),
    serializeNpy('<f4', [batch, height, width, channels], new Uint8Array(images.buffer)),
  );
  writeFileSync(join(dir, 'y.npy'), serializeNpy('<i4', [batch], new Uint8Array(labels.buffer)));
  const grid = (points: number) => Array.from({ length: points }, (_, i) => -1 + (2 * i) / Math.max(points - 1, 1));
  const settings = (points: number): SweepSettings => ({
    checkpoint,
    data: parseDataSpec(`npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`),
    split: 'test',
    subset: null,
    batchSize: batch,
    loss: 'adversarial',
    attack: parseAttack(PGD10_FLAG),
    fixedExamples: false,
    bn: 'eval',
    recalibrationBatches: 1,
    directions: [{ kind: 'filter' }],
    includeBn: false,
    alphas: grid(points),
    betas: null,
    seed: 0,
  });
  return {
    settings,
    cleanGrid: (points) => ({
      ...settings(points),
      loss: 'clean',
      attack: parseAttack('none'),
      directions: [{ kind: 'filter' }, { kind: 'filter' }],
      betas: grid(points),
    }),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Seconds per point of a whole sweep (loading and directions included), in-process or in workers. */
export async function secondsPerPoint(request: SampleRequest, points: number, workers: number): Promise<number> {
  const start = performance.now();
  if (workers === 1) sampleLandscape(request);
  else await sampleInWorkers(request, workers);
  return (performance.now() - start) / 1000 / points;
}
