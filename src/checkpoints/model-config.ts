/**
 * The model configuration of a checkpoint: from weightscape's metadata (native checkpoints) or
 * from the user's --arch and options, which take precedence.
 */
import { classesOf, type DataSpec } from '../data/dataset.ts';
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
  /** The data spec the model will see: its class count applies when the checkpoint has none. */
  data?: DataSpec;
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

/**
 * The one rule for a model's class count, for every command: --classes; else the checkpoint's
 * (metadata, or detected from its tensors); else the data's (100 for cifar100, 10 for the other
 * named sets); else 10. A checkpoint whose count contradicts the data's is refused.
 */
export function modelClasses(
  request: Pick<ModelConfigRequest, 'classes' | 'data'>,
  checkpoint?: { classes: number; source: string },
): number {
  const fromData = request.data === undefined ? undefined : classesOf(request.data);
  if (request.classes !== undefined) return request.classes;
  if (checkpoint !== undefined && fromData !== undefined && checkpoint.classes !== fromData) {
    throw new WeightscapeError(
      'bad-argument',
      `${checkpoint.source} has ${checkpoint.classes} classes but --data ${request.data?.text} has ${fromData}`,
    );
  }
  return checkpoint?.classes ?? fromData ?? 10;
}

/** The class count a checkpoint states: its metadata, else what detection read from its tensors. */
function checkpointClasses(
  checkpoint: LoadedCheckpoint,
  detected: number | undefined,
): { classes: number; source: string } | undefined {
  const stated = parseJson<number>(checkpoint, 'classes');
  if (stated !== undefined) return { classes: stated, source: `${checkpoint.path} (metadata)` };
  return detected === undefined ? undefined : { classes: detected, source: `${checkpoint.path} (its output layer)` };
}

export function resolveModelConfig(
  checkpoint: LoadedCheckpoint,
  request: ModelConfigRequest,
  detectedClasses?: number,
): ModelConfig {
  const arch = request.arch ?? checkpoint.metadata.arch;
  if (arch === undefined) {
    throw new WeightscapeError(
      'bad-argument',
      `${checkpoint.path}: the checkpoint does not name its architecture; pass --arch`,
    );
  }
  const fromFile = request.arch === undefined || request.arch === checkpoint.metadata.arch;
  const stored = fromFile ? parseJson<Record<string, unknown>>(checkpoint, 'options') : undefined;
  // Options that describe a model file (an imported graph's path and hash) are moot when the request
  // names another file (--model): the tensors are then matched to that file's graph by name and shape.
  const requestedFile = request.options?.file;
  const sameFile = requestedFile === undefined || stored?.file === undefined || stored.file === requestedFile;
  const options = architecture(arch).parseOptions({
    ...(sameFile ? stored : {}),
    ...request.options,
  }) as Record<string, unknown>;
  const fixed = fixedShape(arch, options, request);
  return {
    arch,
    options,
    input: fixed?.input ??
      request.input ??
      parseJson<InputSpec>(checkpoint, 'input') ?? { ...architecture(arch).defaultInput },
    classes: fixed?.classes ?? modelClasses(request, checkpointClasses(checkpoint, detectedClasses)),
    normalization: request.normalization ?? parseJson<InputNormalization>(checkpoint, 'normalization'),
  };
}

const showInput = (i: InputSpec) => `${i.channels}×${i.height}×${i.width}`;

/**
 * The input and classes that an architecture's options fix (a graph imported from a file), after
 * checking the request's (the data's image shape and class count, --classes) against them.
 */
export function fixedShape(
  arch: string,
  options: Record<string, unknown>,
  request: Pick<ModelConfigRequest, 'input' | 'classes' | 'data'>,
): { input: InputSpec; classes: number } | undefined {
  const fixed = architecture(arch).shape?.(options);
  if (fixed === undefined) return undefined;
  if (request.input !== undefined && showInput(request.input) !== showInput(fixed.input))
    throw new WeightscapeError(
      'bad-argument',
      `${fixed.source} takes ${showInput(fixed.input)} images (C×H×W) but the data are ${showInput(request.input)}`,
    );
  if (request.classes !== undefined && request.classes !== fixed.classes)
    throw new WeightscapeError(
      'bad-argument',
      `--classes ${request.classes}: ${fixed.source} has ${fixed.classes} classes`,
    );
  return { input: fixed.input, classes: modelClasses({ data: request.data }, fixed) };
}

/**
 * resolveModelConfig, after recognizing the architecture from the tensors when neither the request
 * nor the checkpoint's metadata names one (adds a note saying so).
 */
export function resolveOrDetectModelConfig(
  checkpoint: LoadedCheckpoint,
  request: ModelConfigRequest,
  notes: string[],
): ModelConfig {
  if (request.arch === undefined && checkpoint.metadata.arch === undefined) {
    const detected = detectArchitecture(checkpoint.tensors);
    if (detected !== undefined) {
      notes.push(`architecture detected from the tensors: ${detected.arch}`);
      return resolveModelConfig(
        checkpoint,
        { ...request, arch: detected.arch, options: { ...detected.options, ...request.options } },
        detected.classes,
      );
    }
  }
  return resolveModelConfig(checkpoint, request);
}
