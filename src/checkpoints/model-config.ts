/**
 * The model configuration of a checkpoint: from weightscape's metadata (native checkpoints) or
 * from the user's --arch and options, which take precedence.
 */
import { WeightscapeError } from '../errors.ts';
import { architecture } from '../models/registry.ts';
import type { InputNormalization, InputSpec, ModelConfig } from '../models/types.ts';
import type { LoadedCheckpoint } from './load-checkpoint.ts';
import { detectArchitecture } from './detect-architecture.ts';

export interface ModelConfigRequest {
  arch?: string;
  /** Architecture options as loose values (CLI strings). */
  options?: Record<string, unknown>;
  input?: InputSpec;
  classes?: number;
  normalization?: InputNormalization;
}

function parseJson<T>(checkpoint: LoadedCheckpoint, key: string): T | undefined {
  const text = checkpoint.metadata[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new WeightscapeError('bad-file', `${checkpoint.path}: metadata '${key}' is not JSON`);
  }
}

/** Defaults when nothing says otherwise: CIFAR-sized inputs, except the MNIST-sized mlp. */
function defaultInput(arch: string): InputSpec {
  return arch === 'mlp' ? { height: 28, width: 28, channels: 1 } : { height: 32, width: 32, channels: 3 };
}

export function resolveModelConfig(checkpoint: LoadedCheckpoint, request: ModelConfigRequest): ModelConfig {
  const arch = request.arch ?? checkpoint.metadata.arch;
  if (arch === undefined) {
    throw new WeightscapeError('bad-argument', `${checkpoint.path}: the checkpoint does not name its architecture; pass --arch`);
  }
  const fromFile = request.arch === undefined || request.arch === checkpoint.metadata.arch;
  const options = { ...(fromFile ? parseJson<Record<string, unknown>>(checkpoint, 'options') : {}), ...request.options };
  return {
    arch,
    options: architecture(arch).parseOptions(options) as Record<string, unknown>,
    input: request.input ?? parseJson<InputSpec>(checkpoint, 'input') ?? defaultInput(arch),
    classes: request.classes ?? parseJson<number>(checkpoint, 'classes') ?? 10,
    normalization: request.normalization ?? parseJson<InputNormalization>(checkpoint, 'normalization'),
  };
}

/**
 * resolveModelConfig, after recognizing the architecture from the tensors when neither the request
 * nor the checkpoint's metadata names one (adds a note saying so).
 */
export function resolveOrDetectModelConfig(checkpoint: LoadedCheckpoint, request: ModelConfigRequest, notes: string[]): ModelConfig {
  let resolved = request;
  if (request.arch === undefined && checkpoint.metadata.arch === undefined) {
    const detected = detectArchitecture(checkpoint.tensors);
    if (detected !== undefined) {
      notes.push(`architecture detected from the tensors: ${detected.arch}`);
      resolved = { ...request, arch: detected.arch, options: { ...detected.options, ...request.options }, classes: request.classes ?? detected.classes };
    }
  }
  return resolveModelConfig(checkpoint, resolved);
}
