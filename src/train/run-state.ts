/**
 * What a run needs to continue exactly: weights, BatchNorm state and momentum buffers (tfjs
 * layout, float32/int32 bit for bit) and the number of finished epochs, in one safetensors file.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors, serializeSafetensors, type RawTensor } from '../checkpoints/safetensors.ts';
import { WeightscapeError } from '../errors.ts';
import type { ModelWeights, TensorMap } from '../models/types.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';

export const RUN_STATE_FORMAT = 'weightscape-run-state-1';

export interface RunState {
  weights: ModelWeights;
  buffers: TensorMap;
  /** Epochs finished. */
  epoch: number;
}

function raw(t: tf.Tensor): RawTensor {
  const values = t.dataSync();
  const bytes = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: t.shape, bytes };
}

export function saveRunState(path: string, state: RunState, configJson: string): void {
  const tensors = new Map<string, RawTensor>();
  for (const [group, map] of [
    ['param', state.weights.params],
    ['state', state.weights.state],
    ['momentum', state.buffers],
  ] as const) {
    for (const [name, t] of Object.entries(map)) tensors.set(`${group}:${name}`, raw(t));
  }
  writeFileAtomic(
    path,
    serializeSafetensors(tensors, { format: RUN_STATE_FORMAT, epoch: String(state.epoch), config: configJson }),
  );
}

export function loadRunState(path: string): RunState & { configJson: string } {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new WeightscapeError('bad-file', `${path}: no run state to resume from`);
  }
  const file = parseSafetensors(bytes, path);
  if (file.metadata.format !== RUN_STATE_FORMAT)
    throw new WeightscapeError('bad-file', `${path}: not a weightscape run state`);
  const result: RunState & { configJson: string } = {
    weights: { params: {}, state: {} },
    buffers: {},
    epoch: Number(file.metadata.epoch),
    configJson: file.metadata.config ?? '{}',
  };
  for (const [key, t] of file.tensors) {
    const [group, name] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const copy = t.bytes.slice();
    const values = t.dtype === 'I32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
    const tensor = tf.tensor(values, t.shape, t.dtype === 'I32' ? 'int32' : 'float32');
    const target =
      group === 'param' ? result.weights.params : group === 'state' ? result.weights.state : result.buffers;
    target[name] = tensor;
  }
  return result;
}
