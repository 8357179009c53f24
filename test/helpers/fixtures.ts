/** Reading the committed model fixtures (fixtures/make_model_fixtures.py). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { InputSpec } from '../../src/models/types.ts';

export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/models/', import.meta.url));
export const MODEL_FIXTURES = ['convnet-mnist', 'convnet-cifar', 'mlp', 'preact-resnet18', 'wide-resnet'] as const;

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
