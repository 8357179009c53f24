/**
 * One way to open a checkpoint for a dataset (eval, sample, flatness): load the checkpoint and the
 * splits, resolve the model (architecture detection, the class rule of modelClasses), check the
 * labels against the class count and map the weights. The caller disposes in `finally`.
 */
import { loadCheckpoint, type LoadedCheckpoint } from '../checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../checkpoints/map-to-model.ts';
import { resolveOrDetectModelConfig, type ModelConfigRequest } from '../checkpoints/model-config.ts';
import {
  checkLabels,
  loadDataset,
  selectExamples,
  type DataSpec,
  type LabeledImages,
  type Split,
} from '../data/dataset.ts';
import { stratifiedIndices } from '../data/subset.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';

export interface OpenRequest {
  checkpoint: string;
  data: DataSpec;
  /** At least one; the first decides the model's input shape. */
  splits: Split[];
  subset?: number | null;
  /** Seeds the stratified subset. */
  seed: number;
  /**
   * The examples a run trained on (`train --subset`, drawn with the run's seed): the train split is
   * cut to them first, so that a robust gap compares what the model saw with what it did not.
   */
  trainingSubset?: TrainingSubset | null;
  model: ModelConfigRequest;
}

export interface TrainingSubset {
  size: number;
  seed: number;
}

/** One split: the training subset first (train split only), then the stratified subset of that. */
export function loadEvaluationSplit(
  request: Pick<OpenRequest, 'data' | 'subset' | 'seed' | 'trainingSubset'>,
  split: Split,
): LabeledImages {
  const { trainingSubset, subset, seed } = request;
  if (split !== 'train' || trainingSubset === undefined || trainingSubset === null)
    return loadDataset(request.data, { split, subset: subset ?? undefined, seed });
  const trained = loadDataset(request.data, { split, subset: trainingSubset.size, seed: trainingSubset.seed });
  if (subset === undefined || subset === null || subset >= trained.shape[0]) return trained;
  const spec = `${trained.spec}[subset ${subset}, seed ${seed}]`;
  return selectExamples(trained, stratifiedIndices(trained.labels, subset, seed), spec);
}

export interface OpenedEvaluation {
  checkpoint: LoadedCheckpoint;
  config: ModelConfig;
  weights: ModelWeights;
  /** One per requested split, in the request's order. */
  data: LabeledImages[];
  /** The checkpoint's notes, then architecture detection's, then the weight mapping's. */
  notes: string[];
  /** Disposes the weights. */
  dispose: () => void;
}

/** Loads, resolves, checks and maps a checkpoint for the splits of a data set. */
export function openEvaluation(request: OpenRequest): OpenedEvaluation {
  const checkpoint = loadCheckpoint(request.checkpoint);
  const data = request.splits.map((split) => loadEvaluationSplit(request, split));
  const [, height, width, channels] = data[0]!.shape;
  const notes = [...checkpoint.notes];
  const config = resolveOrDetectModelConfig(
    checkpoint,
    { input: { height, width, channels }, data: request.data, ...request.model },
    notes,
  );
  for (const split of data) checkLabels(split, config.classes);
  const { weights, notes: mapNotes } = checkpointToWeights(checkpoint, config);
  notes.push(...mapNotes);
  return { checkpoint, config, weights, data, notes, dispose: () => disposeWeights(weights) };
}
