/**
 * weightscape's native checkpoint: safetensors in PyTorch's layout (so PyTorch users can load it)
 * whose __metadata__ holds the architecture, its options, the input, the classes, the input
 * normalization and, from the trainer, the training configuration (all JSON strings).
 */
import { modelFor } from '../models/registry.ts';
import { toPytorchLayout } from '../models/tensor-layout.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { serializeSafetensors, type RawTensor } from './safetensors.ts';

export const NATIVE_FORMAT = 'weightscape-1';

/** Metadata entries describing a model configuration. */
export function configMetadata(config: ModelConfig, extra: Record<string, unknown> = {}): Record<string, string> {
  const metadata: Record<string, string> = {
    format: NATIVE_FORMAT,
    arch: config.arch,
    options: JSON.stringify(config.options),
    input: JSON.stringify(config.input),
    classes: JSON.stringify(config.classes),
  };
  if (config.normalization !== undefined) metadata.normalization = JSON.stringify(config.normalization);
  for (const [key, value] of Object.entries(extra)) metadata[key] = JSON.stringify(value);
  return metadata;
}

/** Serializes weights (converted back to PyTorch layout) with the configuration as metadata. */
export function serializeNativeCheckpoint(
  weights: ModelWeights,
  config: ModelConfig,
  extra: Record<string, unknown> = {},
): Uint8Array {
  const specs = modelFor(config).tensorSpecs();
  const tensors = new Map<string, RawTensor>();
  for (const spec of specs) {
    const t = weights.params[spec.name] ?? weights.state[spec.name];
    if (t === undefined) continue;
    const values = toPytorchLayout(t, spec.role);
    const data = values.dataSync();
    values.dispose();
    if (spec.role === 'bn-count') {
      tensors.set(spec.name, {
        dtype: 'I64',
        shape: [],
        bytes: new Uint8Array(new BigInt64Array([BigInt(data[0]!)]).buffer),
      });
    } else {
      const floats = Float32Array.from(data);
      tensors.set(spec.name, { dtype: 'F32', shape: spec.shape, bytes: new Uint8Array(floats.buffer) });
    }
  }
  return serializeSafetensors(tensors, configMetadata(config, extra));
}

export function saveNativeCheckpoint(
  path: string,
  weights: ModelWeights,
  config: ModelConfig,
  extra: Record<string, unknown> = {},
): void {
  writeFileAtomic(path, serializeNativeCheckpoint(weights, config, extra));
}
