/**
 * `weightscape eval`: a checkpoint's clean and robust loss and accuracy on the training and test
 * splits, and the robust generalization gap (train minus test), as a typed result.
 */
import {
  attackWarnings,
  checkAttackClasses,
  formatAttack,
  type AttackSpec,
  type PgdSpec,
} from '../attacks/attack-spec.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import type { ModelConfigRequest } from '../checkpoints/model-config.ts';
import { WeightscapeError } from '../errors.ts';
import { splitsOf, type DataSpec, type Split } from '../data/dataset.ts';

import { checkpointProvenance } from '../results/provenance.ts';
import { openEvaluation, type TrainingSubset } from './open-evaluation.ts';
import { recordedShard, type Shard } from '../cluster/shard-spec.ts';
import { metricsFromBatches } from './batch-metrics.ts';
import { splitBatches } from './split-metrics.ts';

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
  /** With APGD, Square or AutoAttack, also PGD-10 on the same examples (default true): the gradient-masking check. */
  maskingCheck?: boolean;
  /** Only the batches b ≡ shard.index (mod shard.count) of each split; join the shards with mergeEvaluations. */
  shard?: Shard;
  onProgress?: (split: Split, done: number, total: number) => void;
}

/**
 * Gradient masking is suspected when clean accuracy is at least this and PGD's robust accuracy
 * exceeds the stronger attack's by this much.
 */
export const MASKING_CLEAN_ACCURACY = 0.5;
export const MASKING_ACCURACY_GAP = 0.1;

/** PGD-10 (random start, step eps/4) at the attack's norm and radius, for the attacks that PGD should not beat. */
export function maskingCheckAttack(attack: AttackSpec): PgdSpec | undefined {
  if (!['apgd', 'apgd-t', 'square', 'autoattack'].includes(attack.kind) || !('norm' in attack)) return undefined;
  const { norm, eps } = attack;
  return { kind: 'pgd', norm, eps, step: eps / 4, steps: 10, randomStart: true, restarts: 1, loss: 'ce' };
}

/** The start of every gradient-masking note (the merge of shards recomputes them). */
export const MASKING_NOTE_START = 'gradient masking suspected on the ';

/** The gradient-masking note of a split, when PGD's robust accuracy is far above the stronger attack's. */
export function maskingNote(split: string, metrics: EvalResult['splits']['test'], attack: string): string[] {
  const check = metrics?.pgdCheck;
  const robust = metrics?.robust;
  if (check === undefined || robust === undefined || metrics!.clean.accuracy < MASKING_CLEAN_ACCURACY) return [];
  if (check.accuracy - robust.accuracy < MASKING_ACCURACY_GAP) return [];
  const percent = (v: number) => `${(100 * v).toFixed(1)}%`;
  return [
    `${MASKING_NOTE_START}${split} split: PGD-10's robust accuracy ${percent(check.accuracy)} is far above ` +
      `${attack}'s ${percent(robust.accuracy)} at clean accuracy ${percent(metrics!.clean.accuracy)}; PGD numbers of this model overstate its robustness`,
  ];
}

/** The note of a shard's result (the merge of shards drops it): its metrics are its examples' only. */
export const shardNote = (shard: Shard, more = ''): string =>
  `shard ${shard.index}/${shard.count}: ${more}metrics over this shard's batches only; join the shards with weightscape merge`;

/** Whether a note is one that shardNote writes. */
export const isShardNote = (note: string): boolean => /^shard \d+\/\d+: /.test(note);

/** Robust accuracy and loss, train minus test, when both splits were attacked. */
export function robustGap(splits: EvalResult['splits']): EvalResult['gap'] {
  const train = splits.train?.robust;
  const test = splits.test?.robust;
  return train === undefined || test === undefined
    ? undefined
    : { accuracy: train.accuracy - test.accuracy, loss: train.loss - test.loss };
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
    checkAttackClasses(request.attack, config.classes);
    const datasets = splits.map((split, i) => ({ split, data: opened.data[i]! }));
    const notes = [...opened.notes, ...attackWarnings(request.attack)];
    const results: EvalResult['splits'] = {};
    const batches: NonNullable<EvalResult['batches']> = {};
    const pgdCheck = request.maskingCheck === false ? undefined : maskingCheckAttack(request.attack);
    const { shard, attack, seed } = request;
    for (const { split, data } of datasets) {
      const records = splitBatches({
        weights,
        config,
        data,
        attack,
        batchSize: request.batchSize,
        seed,
        pgdCheck,
        shard,
        onProgress: (done, total) => request.onProgress?.(split, done, total),
      });
      if (shard !== undefined) batches[split] = { examples: data.shape[0], records };
      if (records.length === 0) continue;
      results[split] = metricsFromBatches(records, { attack, pgdCheck, seed, spec: data.spec });
      notes.push(...maskingNote(split, results[split], formatAttack(attack)));
    }
    if (shard !== undefined) {
      const empty = datasets.filter(({ split }) => results[split] === undefined).map(({ split }) => split);
      notes.push(shardNote(shard, empty.length === 0 ? '' : `no batch of the ${empty.join(' or ')} split here; `));
    }
    const result: EvalResult = {
      schema: EVAL_SCHEMA,
      model: config,
      attack: formatAttack(attack),
      data: {
        spec: request.data.text,
        subset: request.subset ?? null,
        ...(request.trainingSubset ? { trainingSubset: request.trainingSubset } : {}),
        splits: Object.fromEntries(datasets.map(({ split, data }) => [split, data.spec])),
      },
      splits: results,
      batchSize: request.batchSize,
      shard: recordedShard(shard),
      ...(shard === undefined ? {} : { batches }),
      notes,
      provenance: checkpointProvenance(request.backend, seed, started, checkpoint, {
        spec: request.data.text,
        count: Object.values(results).reduce((a, m) => a + m.count, 0),
      }),
    };
    const gap = robustGap(results);
    if (gap !== undefined) result.gap = gap;
    return result;
  } finally {
    opened.dispose();
  }
}
