/**
 * `weightscape eval`: a checkpoint's clean and robust loss and accuracy on the training and test
 * splits, and the robust generalization gap (train minus test), as a typed result.
 */
import { attackWarnings, formatAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import type { ModelConfigRequest } from '../checkpoints/model-config.ts';
import { WeightscapeError } from '../errors.ts';
import { splitsOf, type DataSpec, type Split } from '../data/dataset.ts';

import { checkpointProvenance } from '../results/provenance.ts';
import { openEvaluation, type TrainingSubset } from './open-evaluation.ts';
import { evaluateSplit } from './split-metrics.ts';

import { EVAL_SCHEMA, type EvalResult } from '../results/eval-schema.ts';

export type { EvalResult, RobustGap } from '../results/eval-schema.ts';

export interface EvaluateRequest {
  checkpoint: string;
  data: DataSpec;
  splits?: Split[];
  subset?: number;
  /** The examples the model trained on (see OpenRequest). */
  trainingSubset?: TrainingSubset | null;
  attack: AttackSpec;
  model: ModelConfigRequest;
  batchSize: number;
  backend: BackendInfo;
  seed: number;
  onProgress?: (split: Split, done: number, total: number) => void;
}

/** Clean and robust metrics of a checkpoint on each split of the data, and the robust gap. */
export function evaluateCheckpoint(request: EvaluateRequest): EvalResult {
  const started = performance.now();
  const available = splitsOf(request.data);
  const splits = (request.splits ?? available).filter((s) => available.includes(s));
  if (splits.length === 0) {
    throw new WeightscapeError(
      'bad-argument',
      `--split ${request.splits?.join(',')}: ${request.data.text} has only the ${available.join(' and ')} split (npy data is evaluated as one set)`,
    );
  }
  const opened = openEvaluation({ ...request, splits });
  try {
    const { checkpoint, config, weights } = opened;
    const datasets = splits.map((split, i) => ({ split, data: opened.data[i]! }));
    const notes = [...opened.notes, ...attackWarnings(request.attack)];
    const results: EvalResult['splits'] = {};
    for (const { split, data } of datasets) {
      results[split] = evaluateSplit({
        weights,
        config,
        data,
        attack: request.attack,
        batchSize: request.batchSize,
        seed: request.seed,
        onProgress: (done, total) => request.onProgress?.(split, done, total),
      });
    }
    const result: EvalResult = {
      schema: EVAL_SCHEMA,
      model: config,
      attack: formatAttack(request.attack),
      data: {
        spec: request.data.text,
        subset: request.subset ?? null,
        ...(request.trainingSubset ? { trainingSubset: request.trainingSubset } : {}),
        splits: Object.fromEntries(datasets.map(({ split, data }) => [split, data.spec])),
      },
      splits: results,
      notes,
      provenance: checkpointProvenance(request.backend, request.seed, started, checkpoint, {
        spec: request.data.text,
        count: datasets.reduce((a, d) => a + d.data.shape[0], 0),
      }),
    };
    const train = results.train?.robust;
    const test = results.test?.robust;
    if (train !== undefined && test !== undefined)
      result.gap = { accuracy: train.accuracy - test.accuracy, loss: train.loss - test.loss };
    return result;
  } finally {
    opened.dispose();
  }
}
