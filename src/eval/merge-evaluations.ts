/**
 * Joins the shards of one evaluation (`eval --shard i/n`): their batch sums interleaved back into
 * batch order and added as one process adds them, so the merged counts, losses, accuracies,
 * members, outcomes and masking check equal the one-process result's exactly; the gap and the
 * masking notes are recomputed from the merged splits.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseAttack } from '../attacks/attack-spec.ts';
import { WeightscapeError } from '../errors.ts';
import { provenance } from '../results/provenance.ts';
import type { Split } from '../data/dataset.ts';
import { metricsFromBatches, type BatchRecord } from './batch-metrics.ts';
import {
  isShardNote,
  MASKING_NOTE_START,
  maskingCheckAttack,
  maskingNote,
  robustGap,
  type EvalResult,
} from './evaluate-checkpoint.ts';

const bad = (source: string, problem: string) => new WeightscapeError('bad-file', `${source}: ${problem}`);

/** What must be equal for two shards to be parts of one evaluation, by the name a refusal uses. */
function identity(result: EvalResult): Array<[string, unknown]> {
  return [
    ['schema', result.schema],
    ['checkpoint (sha256)', result.provenance.checkpoint?.sha256],
    ['attack', result.attack],
    ['seed', result.provenance.seed],
    ['data', result.data],
    ['model', result.model],
    ['batch size', result.batchSize],
    ['shard count', result.shard?.count],
  ];
}

/** Refuses a result that is not a shard of the same evaluation as the first. */
function checkSameEvaluation(results: EvalResult[], sources: string[]): void {
  const first = identity(results[0]!);
  results.forEach((result, i) => {
    if (result.shard === null || result.shard === undefined || result.batches === undefined)
      throw bad(sources[i]!, 'not a shard of an evaluation (no batch sums; written without eval --shard)');
    if (result.batchSize === undefined) throw bad(sources[i]!, 'records no batch size (an older weightscape)');
    identity(result).forEach(([name, value], k) => {
      if (!isDeepStrictEqual(value, first[k]![1]))
        throw bad(
          sources[i]!,
          `not the same evaluation as ${sources[0]}: its ${name} ${JSON.stringify(value)} differs from ${JSON.stringify(first[k]![1])}`,
        );
    });
  });
}

/** One split's batch records of all shards, in batch order, each batch exactly once and of the size it must have. */
function orderedBatches(results: EvalResult[], sources: string[], split: Split): BatchRecord[] {
  const batchSize = results[0]!.batchSize!;
  const examples = results[0]!.batches![split]?.examples;
  const owner = new Map<number, { record: BatchRecord; source: string }>();
  results.forEach((result, i) => {
    const part = result.batches![split];
    if (part === undefined || part.examples !== examples)
      throw bad(sources[i]!, `its ${split} split has ${part?.examples ?? 'no'} batch sums of ${examples} examples`);
    for (const record of part.records) {
      const other = owner.get(record.batch);
      if (other !== undefined)
        throw bad(sources[i]!, `batch ${record.batch} of the ${split} split is also in ${other.source}`);
      const size = Math.min(batchSize, examples! - record.batch * batchSize);
      if (record.count !== size)
        throw bad(sources[i]!, `batch ${record.batch} of the ${split} split has ${record.count} examples, not ${size}`);
      owner.set(record.batch, { record, source: sources[i]! });
    }
  });
  const count = results[0]!.shard!.count;
  return Array.from({ length: Math.ceil(examples! / batchSize) }, (_, b) => {
    const found = owner.get(b);
    if (found === undefined) {
      const k = results.findIndex((r) => r.shard!.index === b % count);
      throw bad(sources[k] ?? sources.join(', '), `batch ${b} of the ${split} split is missing`);
    }
    return found.record;
  });
}

/** The evaluation the shards (sorted by index, a complete set 0…n−1) are parts of, as one process writes it. */
export function mergeEvaluations(results: EvalResult[], sources: string[]): EvalResult {
  if (results.length === 0) throw new WeightscapeError('bad-argument', 'merge: no results given');
  checkSameEvaluation(results, sources);
  const first = results[0]!;
  const attack = parseAttack(first.attack);
  const records = results.flatMap((r) => Object.values(r.batches!).flatMap((part) => part.records));
  const checked = records.filter((record) => record.checkLoss !== undefined).length;
  if (checked !== 0 && checked !== records.length) {
    const k = results.findIndex((r) =>
      Object.values(r.batches!).some((p) => p.records.some((x) => x.checkLoss === undefined)),
    );
    throw bad(sources[k]!, 'not the same evaluation as the others: it ran the masking check on other batches');
  }
  const pgdCheck = checked === 0 ? undefined : maskingCheckAttack(attack);
  const notes = [
    ...new Set(results.flatMap((r) => r.notes).filter((n) => !isShardNote(n) && !n.startsWith(MASKING_NOTE_START))),
  ];
  const splits: EvalResult['splits'] = {};
  for (const split of Object.keys(first.data.splits) as Split[]) {
    const spec = first.data.splits[split]!;
    splits[split] = metricsFromBatches(orderedBatches(results, sources, split), {
      attack,
      pgdCheck,
      seed: first.provenance.seed,
      spec,
    });
    notes.push(...maskingNote(split, splits[split], first.attack));
  }
  const { batches: _, gap: __, ...rest } = first;
  const merged: EvalResult = {
    ...rest,
    splits,
    shard: null,
    notes,
    provenance: provenance({
      ...first.provenance,
      wallSeconds: results.reduce((a, r) => a + r.provenance.wallSeconds, 0),
      data: { spec: first.data.spec, count: Object.values(splits).reduce((a, m) => a + m.count, 0) },
    }),
  };
  const gap = robustGap(splits);
  if (gap !== undefined) merged.gap = gap;
  return merged;
}
