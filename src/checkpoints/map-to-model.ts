/**
 * Fits loaded tensors to an architecture: the key set and every shape are checked (missing,
 * unexpected and mis-shaped tensors named with expected and actual shapes), then layouts are
 * converted (OIHW → HWIO, out×in → in×out) into tfjs tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { WeightscapeError } from '../errors.ts';
import { modelFor } from '../models/registry.ts';
import { tfjsShape, toTfjsLayout } from '../models/tensor-layout.ts';
import type { ModelConfig, ModelWeights, TensorSpec } from '../models/types.ts';
import type { HostTensor } from './host-tensor.ts';
import type { LoadedCheckpoint } from './load-checkpoint.ts';

const STATE_ROLES = new Set(['bn-running-mean', 'bn-running-var', 'bn-count']);

/** The shape a spec has in a file of the given layout. */
function fileShape(spec: TensorSpec, layout: 'pytorch' | 'tfjs'): number[] {
  return layout === 'pytorch' ? spec.shape : tfjsShape(spec.shape, spec.role);
}

const show = (shape: number[]) => `[${shape.join(', ')}]`;

function toTensor(host: HostTensor, spec: TensorSpec, layout: 'pytorch' | 'tfjs'): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(host.values, host.shape, spec.role === 'bn-count' ? 'int32' : 'float32');
    return layout === 'tfjs' ? t : toTfjsLayout(t, spec.role);
  });
}

/** Checks the checkpoint against the architecture and returns its weights as tfjs tensors. */
export function checkpointToWeights(
  checkpoint: LoadedCheckpoint,
  config: ModelConfig,
): { weights: ModelWeights; notes: string[] } {
  const model = modelFor(config);
  const specs = model.tensorSpecs();
  const unusedTensors = model.unusedTensors();
  const notes: string[] = [];
  const problems: string[] = [];
  const expected = new Map(specs.map((s) => [s.name, s]));
  for (const spec of specs) {
    const host = checkpoint.tensors.get(spec.name);
    if (host === undefined) {
      if (spec.role !== 'bn-count') problems.push(`missing ${spec.name} ${show(fileShape(spec, checkpoint.layout))}`);
      continue;
    }
    const want = fileShape(spec, checkpoint.layout);
    if (show(host.shape) !== show(want))
      problems.push(`${spec.name} has shape ${show(host.shape)} but ${config.arch} expects ${show(want)}`);
  }
  const unused = new Map((unusedTensors?.specs ?? []).map((s) => [s.name, s]));
  const ignored: string[] = [];
  for (const name of checkpoint.tensors.keys()) {
    if (expected.has(name)) continue;
    if (unused.has(name)) ignored.push(name);
    else problems.push(`unexpected ${name} ${show(checkpoint.tensors.get(name)!.shape)}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 6).join('; ');
    const more = problems.length > 6 ? `; and ${problems.length - 6} more` : '';
    throw new WeightscapeError(
      'shape-mismatch',
      `${checkpoint.path}: does not fit ${config.arch} ${JSON.stringify(config.options)}: ${shown}${more}`,
      {
        suggestion: 'check --arch and its options (or the checkpoint metadata)',
      },
    );
  }
  if (ignored.length > 0) notes.push(`ignored ${ignored.length} tensors of ${unusedTensors!.note}`);
  const weights: ModelWeights = { params: {}, state: {} };
  for (const spec of specs) {
    const host = checkpoint.tensors.get(spec.name);
    const target = STATE_ROLES.has(spec.role) ? weights.state : weights.params;
    if (host === undefined) {
      notes.push(`${spec.name} missing: starting the count at 0 (checkpoints from PyTorch < 0.4.1 lack it)`);
      target[spec.name] = tf.scalar(0, 'int32');
      continue;
    }
    target[spec.name] = toTensor(host, spec, checkpoint.layout);
  }
  return { weights, notes };
}

/** Frees every tensor of a model's weights. */
export function disposeWeights(weights: ModelWeights): void {
  tf.dispose([...Object.values(weights.params), ...Object.values(weights.state)]);
}
