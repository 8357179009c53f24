/**
 * Points per second of a 1D adversarial sweep (PGD-10 regenerated at every point, batch 128 of
 * random images, 4 points) on convnet and the narrow preact-resnet18, with 1 and 2 workers.
 * bench/torch_landscape.py runs the same sweep in PyTorch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../src/backend/select-backend.ts';
import { serializeNativeCheckpoint } from '../src/checkpoints/native-checkpoint.ts';
import { sampleInWorkers } from '../src/landscape/parallel-sample.ts';
import { sampleLandscape, type LandscapeSettings } from '../src/landscape/sample-landscape.ts';
import { serializeNpy } from '../src/data/npy.ts';
import { initWeights } from '../src/train/init-weights.ts';
import { PGD_BENCH_MODELS } from './attacks.ts';

export const SWEEP_POINTS = 4;
export const SWEEP_BATCH = 128;

export interface SweepFigure {
  name: string;
  workers: number;
  seconds: number;
  pointsPerSecond: number;
}

export async function benchSweeps(backend: BackendInfo): Promise<SweepFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-bench-'));
  const figures: SweepFigure[] = [];
  try {
    for (const { name, config } of PGD_BENCH_MODELS) {
      const weights = initWeights(config, 1);
      const checkpoint = join(dir, `${config.arch}.safetensors`);
      writeFileSync(checkpoint, serializeNativeCheckpoint(weights, config));
      tf.dispose([...Object.values(weights.params), ...Object.values(weights.state)]);
      const { height, width, channels } = config.input;
      const images = tf.tidy(() => tf.randomUniform([SWEEP_BATCH, height, width, channels], 0, 1, 'float32', 4).dataSync() as Float32Array);
      writeFileSync(join(dir, 'x.npy'), serializeNpy('<f4', [SWEEP_BATCH, height, width, channels], new Uint8Array(images.buffer)));
      writeFileSync(join(dir, 'y.npy'), serializeNpy('<i4', [SWEEP_BATCH], new Uint8Array(Int32Array.from({ length: SWEEP_BATCH }, (_, i) => i % 10).buffer)));
      const settings: LandscapeSettings = {
        checkpoint, data: `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`, split: 'test', subset: null, batchSize: SWEEP_BATCH,
        loss: 'adversarial', attack: 'pgd:linf:eps=0.0313725:steps=10:step=0.00784314', fixedExamples: false, bn: 'eval', recalibrationBatches: 1,
        directions: ['filter'], includeBn: false, alphas: Array.from({ length: SWEEP_POINTS }, (_, i) => -1 + (2 * i) / (SWEEP_POINTS - 1)), betas: null, seed: 0,
      };
      for (const workers of [1, 2]) {
        const start = performance.now();
        if (workers === 1) sampleLandscape({ settings, model: {}, backend });
        else await sampleInWorkers({ settings, model: {}, backend }, workers);
        const seconds = (performance.now() - start) / 1000;
        figures.push({ name, workers, seconds, pointsPerSecond: SWEEP_POINTS / seconds });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
