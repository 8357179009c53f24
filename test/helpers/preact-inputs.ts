/** The 64 CIFAR-sized images of the landscape fixtures (labels i mod 10), in memory or as .npy files. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import type { LabeledImages } from '../../src/data/dataset.ts';
import { npyBytes } from './npy-writer.ts';

const INPUTS = fileURLToPath(new URL('../../fixtures/landscape/preact-inputs.safetensors', import.meta.url));

export function preactImages(): LabeledImages {
  const x = loadCheckpoint(INPUTS).tensors.get('x')!;
  const labels = Int32Array.from({ length: 64 }, (_, i) => i % 10);
  return { images: x.values as Float32Array, shape: x.shape as LabeledImages['shape'], labels, spec: 'preact-inputs' };
}

/** Writes the images and labels as .npy files in `dir`; returns their `--data` spec. */
export function writePreactNpy(dir: string): string {
  const data = preactImages();
  const images = join(dir, 'preact.npy');
  const labels = join(dir, 'preact-labels.npy');
  writeFileSync(images, npyBytes('<f4', data.shape, new Uint8Array(data.images.buffer)));
  writeFileSync(labels, npyBytes('<i4', [data.labels.length], new Uint8Array(data.labels.buffer)));
  return `npy:${images},${labels}`;
}
