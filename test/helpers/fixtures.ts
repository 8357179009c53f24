/** Reading the committed model fixtures (fixtures/make_model_fixtures.py). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import type { InputSpec } from '../../src/models/types.ts';

export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/models/', import.meta.url));
export const MODEL_FIXTURES = [
  'convnet-mnist',
  'convnet-cifar',
  'mlp',
  'preact-resnet18',
  'wide-resnet',
  'resnet18',
  'resnet50',
  'resnet18-imagenet',
] as const;

export interface FixtureDescription {
  arch: string;
  options: Record<string, unknown>;
  batch: number;
  inputShape: [number, number, number];
  classes: number;
  wrapped: boolean;
  runningStatsAfterTrainPass: Record<string, number[]>;
  numBatchesTrackedAfterTrainPass: Record<string, number>;
}

export function describeFixture(name: string): FixtureDescription {
  return JSON.parse(readFileSync(`${FIXTURE_DIR}${name}.json`, 'utf8')) as FixtureDescription;
}

/** Little-endian float32 file → Float32Array (copied: small reads share Node's buffer pool). */
export function readFloats(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function fixtureInput(name: string, d: FixtureDescription): tf.Tensor4D {
  return tf.tensor4d(readFloats(`${FIXTURE_DIR}${name}.input.f32`), [d.batch, ...d.inputShape]);
}

export function fixtureInputSpec(d: FixtureDescription): InputSpec {
  return { height: d.inputShape[0], width: d.inputShape[1], channels: d.inputShape[2] };
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * A model fixture loaded as the tests use it: its configuration (options overridable), weights,
 * the committed input batch and deterministic labels (7i mod classes); `dispose` frees them.
 */
export function loadFixtureModel(
  name: string,
  { options = {}, extension = 'pt' }: { options?: Record<string, unknown>; extension?: string } = {},
) {
  const d = describeFixture(name);
  const checkpoint = loadCheckpoint(`${FIXTURE_DIR}${name}.${extension}`);
  const config = resolveModelConfig(checkpoint, {
    arch: d.arch,
    options: { ...d.options, ...options },
    input: fixtureInputSpec(d),
    classes: d.classes,
  });
  const { weights } = checkpointToWeights(checkpoint, config);
  const x = fixtureInput(name, d);
  const labels = tf.tensor1d(
    Array.from({ length: d.batch }, (_, i) => (i * 7) % d.classes),
    'int32',
  );
  return {
    d,
    config,
    weights,
    x,
    labels,
    dispose: () => {
      disposeWeights(weights);
      tf.dispose([x, labels]);
    },
  };
}
