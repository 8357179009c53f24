/**
 * `weightscape eval`: a checkpoint's clean and robust loss and accuracy on the training and test
 * splits, and the robust generalization gap (train minus test), as a typed result.
 */
import { attackWarnings, formatAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import { loadCheckpoint } from '../checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../checkpoints/map-to-model.ts';
import { resolveOrDetectModelConfig, type ModelConfigRequest } from '../checkpoints/model-config.ts';
import { checkLabels, loadDataset, parseDataSpec, splitsOf, type Split } from '../data/dataset.ts';
import { provenance } from '../results/provenance.ts';
import { evaluateSplit } from './split-metrics.ts';

import { EVAL_SCHEMA, type EvalResult } from '../results/eval-schema.ts';

export type { EvalResult, RobustGap } from '../results/eval-schema.ts';


export interface EvaluateRequest {
  checkpoint: string;
  data: string;
  splits?: Split[];
  subset?: number;
  attack: AttackSpec;
  model: ModelConfigRequest;
  batchSize: number;
  backend: BackendInfo;
  seed: number;
  onProgress?: (split: Split, done: number, total: number) => void;
}

export function evaluateCheckpoint(request: EvaluateRequest): EvalResult {
  const started = performance.now();
  const checkpoint = loadCheckpoint(request.checkpoint);
  const spec = parseDataSpec(request.data);
  const splits = (request.splits ?? splitsOf(spec)).filter((s) => splitsOf(spec).includes(s));
  const datasets = splits.map((split) => ({ split, data: loadDataset(request.data, { split, subset: request.subset, seed: request.seed }) }));
  const [, height, width, channels] = datasets[0]!.data.shape;
  const notes = [...checkpoint.notes, ...attackWarnings(request.attack)];
  const config = resolveOrDetectModelConfig(checkpoint, { input: { height, width, channels }, data: request.data, ...request.model }, notes);
  for (const { data } of datasets) checkLabels(data, config.classes);
  const { weights, notes: mapNotes } = checkpointToWeights(checkpoint, config);
  notes.push(...mapNotes);
  try {
    const results: EvalResult['splits'] = {};
    for (const { split, data } of datasets) {
      results[split] = evaluateSplit({
        weights, config, data, attack: request.attack, batchSize: request.batchSize, seed: request.seed,
        onProgress: (done, total) => request.onProgress?.(split, done, total),
      });
    }
    const result: EvalResult = {
      schema: EVAL_SCHEMA,
      model: config,
      attack: formatAttack(request.attack),
      data: { spec: request.data, subset: request.subset ?? null, splits: Object.fromEntries(datasets.map(({ split, data }) => [split, data.spec])) },
      splits: results,
      notes,
      provenance: provenance({
        backend: request.backend, seed: request.seed, wallSeconds: (performance.now() - started) / 1000,
        checkpoint: { path: checkpoint.path, sha256: checkpoint.sha256, format: checkpoint.format },
        data: { spec: request.data, count: datasets.reduce((a, d) => a + d.data.shape[0], 0) },
      }),
    };
    const train = results.train?.robust;
    const test = results.test?.robust;
    if (train !== undefined && test !== undefined) result.gap = { accuracy: train.accuracy - test.accuracy, loss: train.loss - test.loss };
    return result;
  } finally {
    disposeWeights(weights);
  }
}
