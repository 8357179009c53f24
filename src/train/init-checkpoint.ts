/**
 * --init: a run that starts from a given checkpoint (any format `inspect` reads) instead of fresh
 * weights: its weights and BatchNorm statistics, the architecture from the file unless given, the
 * optimizer fresh. The file's SHA-256 goes into the configuration, so that --resume compares it.
 */
import { loadCheckpoint } from '../checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../checkpoints/map-to-model.ts';
import { resolveOrDetectModelConfig, type ModelConfigRequest } from '../checkpoints/model-config.ts';
import { loadDataset, type DataSpec } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';
import type { TrainConfig } from './train-config.ts';

export interface InitCheckpoint {
  model: ModelConfig;
  weights: ModelWeights;
  /** What the configuration records. */
  init: { path: string; sha256: string };
  /** The checkpoint's notes, architecture detection's and the weight mapping's. */
  notes: string[];
}

/** Loads a checkpoint as a run's starting point: model configuration, weights, SHA-256 (the caller disposes). */
export function openInitCheckpoint(path: string, request: ModelConfigRequest): InitCheckpoint {
  const checkpoint = loadCheckpoint(path);
  const notes = [...checkpoint.notes];
  const model = resolveOrDetectModelConfig(checkpoint, request, notes);
  const { weights, notes: mapNotes } = checkpointToWeights(checkpoint, model);
  notes.push(...mapNotes);
  return { model, weights, init: { path, sha256: checkpoint.sha256 }, notes };
}

/**
 * The settings --init decides before the configuration is resolved: the architecture, its options
 * and classes from the checkpoint (or the request's, checked against the file and the data's
 * input shape), and the file's hash.
 */
export function initSettings(
  path: string,
  request: ModelConfigRequest & { data: DataSpec },
): Pick<TrainConfig, 'arch' | 'archOptions' | 'classes' | 'init'> {
  const [, height, width, channels] = loadDataset(request.data, { split: 'test' }).shape;
  const opened = openInitCheckpoint(path, { ...request, input: { height, width, channels } });
  disposeWeights(opened.weights);
  const { arch, options, classes } = opened.model;
  return { arch, archOptions: options, classes, init: opened.init };
}

/** The init checkpoint of a configuration, refused if the file changed since the configuration was made. */
export function openConfiguredInit(
  init: NonNullable<TrainConfig['init']>,
  request: ModelConfigRequest,
): InitCheckpoint {
  const opened = openInitCheckpoint(init.path, request);
  if (opened.init.sha256 !== init.sha256) {
    disposeWeights(opened.weights);
    throw new WeightscapeError(
      'bad-file',
      `--init ${init.path}: the file changed (SHA-256 ${opened.init.sha256}, the configuration says ${init.sha256})`,
    );
  }
  return opened;
}
