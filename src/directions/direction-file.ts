/**
 * Directions as files: safetensors in PyTorch's layout (so PyTorch code can use them), named like
 * the parameters, with what made them in the metadata.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors, serializeSafetensors, type RawTensor } from '../checkpoints/safetensors.ts';
import { WeightscapeError } from '../errors.ts';
import { modelFor } from '../models/registry.ts';
import { toPytorchLayout, toTfjsLayout } from '../models/tensor-layout.ts';
import type { ModelConfig, TensorMap } from '../models/types.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';

export function saveDirection(
  path: string,
  direction: TensorMap,
  config: ModelConfig,
  metadata: Record<string, string>,
): void {
  const roles = new Map(
    modelFor(config)
      .tensorSpecs()
      .map((s) => [s.name, s]),
  );
  const tensors = new Map<string, RawTensor>();
  for (const [name, d] of Object.entries(direction)) {
    const spec = roles.get(name);
    const torch = spec === undefined ? tf.clone(d) : toPytorchLayout(d, spec.role);
    const values = Float32Array.from(torch.dataSync());
    tensors.set(name, { dtype: 'F32', shape: spec?.shape ?? d.shape, bytes: new Uint8Array(values.buffer) });
    torch.dispose();
  }
  writeFileAtomic(path, serializeSafetensors(tensors, { format: 'weightscape-direction-1', ...metadata }));
}

/** Reads a direction for these parameters: every parameter must be present with its shape. */
export function loadDirection(path: string, params: TensorMap, config: ModelConfig): TensorMap {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new WeightscapeError('bad-file', `${path}: cannot read the direction file`);
  }
  const file = parseSafetensors(bytes, path);
  const specs = new Map(
    modelFor(config)
      .tensorSpecs()
      .map((s) => [s.name, s]),
  );
  const out: TensorMap = {};
  for (const [name, p] of Object.entries(params)) {
    const raw = file.tensors.get(name);
    const spec = specs.get(name);
    if (
      raw === undefined ||
      spec === undefined ||
      raw.dtype !== 'F32' ||
      raw.shape.join('x') !== spec.shape.join('x')
    ) {
      tf.dispose(Object.values(out));
      throw new WeightscapeError(
        'bad-file',
        `${path}: direction for ${name} is missing or is not float32 of shape [${spec?.shape.join(', ')}]`,
      );
    }
    const values = new Float32Array(raw.bytes.slice().buffer);
    out[name] = tf.tidy(() => toTfjsLayout(tf.tensor(values, raw.shape), spec.role));
    if (out[name]!.shape.join('x') !== p.shape.join('x'))
      throw new WeightscapeError('bad-file', `${path}: ${name} does not fit the model`);
  }
  return out;
}
