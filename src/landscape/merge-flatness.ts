/**
 * Joins the shards of one flatness run (`weightscape flatness --shard i/n`) into the run's result:
 * the directions of all shards in order of m, θ's losses, and shard 0's adversarial direction and
 * Hessian, reduced by the same arithmetic as a one-process run (flatness-measures.ts), so the
 * merged result equals it value for value.
 */
import { isDeepStrictEqual } from 'node:util';
import { WeightscapeError } from '../errors.ts';
import type { FlatnessResult, LossFlatness } from '../results/flatness-schema.ts';
import { flatnessMeasures, type DirectionNumbers } from './flatness-measures.ts';

const SHARD_NOTE = /^shard \d+\/\d+: /;

const refuse = (source: string, problem: string) => new WeightscapeError('bad-file', `${source}: ${problem}`);

/** The first key whose values differ between two records, for a message that names it. */
function differingKey(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const key = keys.find((k) => !isDeepStrictEqual(a[k], b[k]))!;
  return `${key} ${JSON.stringify(a[key] ?? null)} vs ${JSON.stringify(b[key] ?? null)}`;
}

/** Refuses a shard that is not of the same measurement as the first. */
function checkSameRun(result: FlatnessResult, first: FlatnessResult, source: string, firstSource: string): void {
  const against = `than ${firstSource}`;
  if (result.schema !== first.schema) throw refuse(source, `schema ${result.schema} differs from ${firstSource}'s`);
  if (!isDeepStrictEqual(result.settings, first.settings))
    throw refuse(source, `other settings ${against} (${differingKey(result.settings, first.settings)})`);
  if (!isDeepStrictEqual(result.model, first.model)) throw refuse(source, `another model configuration ${against}`);
  const sha = (r: FlatnessResult) => r.provenance.checkpoint?.sha256;
  if (sha(result) !== sha(first)) throw refuse(source, `another checkpoint (SHA-256 ${sha(result)}) ${against}`);
  for (const kind of ['clean', 'adversarial'] as const)
    if (result[kind]?.atTheta !== first[kind]?.atTheta)
      throw refuse(
        source,
        `${kind} loss at θ ${result[kind]?.atTheta ?? null} differs from ${firstSource}'s ${first[kind]?.atTheta ?? null}`,
      );
}

/** Every shard's directions in order of m, each once, each from the shard that owns it. */
function orderedDirections(results: FlatnessResult[], sources: string[]): DirectionNumbers[] {
  const count = results.length;
  const total = results[0]!.settings.directions;
  const byIndex: Array<DirectionNumbers | undefined> = new Array<DirectionNumbers | undefined>(total);
  results.forEach((result, s) => {
    for (const d of result.perDirection) {
      if (d.m === undefined || d.curvature === undefined)
        throw refuse(sources[s]!, 'a direction without its index m or curvature (made before shards); rerun it');
      if (d.m >= total || d.m % count !== s)
        throw refuse(sources[s]!, `direction ${d.m} is not one of shard ${s}/${count}'s of ${total}`);
      if (byIndex[d.m] !== undefined) throw refuse(sources[s]!, `direction ${d.m} appears twice`);
      byIndex[d.m] = d as DirectionNumbers;
    }
  });
  const missing = byIndex.findIndex((d) => d === undefined);
  if (missing >= 0) throw refuse(sources[missing % count]!, `direction ${missing} of ${total} is missing`);
  return byIndex as DirectionNumbers[];
}

/** Shard 0's Hessian eigenvalue of one loss. */
const eigenOf = (loss: LossFlatness | null) => ({
  value: loss?.hessianTopEigenvalue ?? null,
  converged: loss?.hessianConverged ?? null,
});

/**
 * The run's result from its shards, given sorted by shard index as a complete set 0…n−1 of one count (the caller
 * checks that); refuses (bad-file, naming the file) shards of another measurement or with missing or repeated
 * directions.
 */
export function mergeFlatness(results: FlatnessResult[], sources: string[]): FlatnessResult {
  if (results.length === 0) throw new WeightscapeError('bad-argument', 'merge: no results given');
  const first = results[0]!;
  results.forEach((result, s) => {
    if (result.shard?.index !== s || result.shard.count !== results.length)
      throw refuse(
        sources[s]!,
        `not shard ${s}/${results.length} of a flatness run (shard ${JSON.stringify(result.shard ?? null)})`,
      );
    checkSameRun(result, first, sources[s]!, sources[0]!);
  });
  if (first.clean.adversarialDirectionIncrease === null)
    throw refuse(sources[0]!, 'shard 0 lacks the adversarial-direction increase');
  const perDirection = orderedDirections(results, sources);
  const measures = flatnessMeasures({
    adversarial: first.adversarial !== null,
    atTheta: { clean: first.clean.atTheta, adversarial: first.adversarial?.atTheta ?? null },
    perDirection,
    worst: {
      clean: first.clean.adversarialDirectionIncrease,
      adversarial: first.adversarial?.adversarialDirectionIncrease ?? null,
    },
    eigen: { clean: eigenOf(first.clean), adversarial: eigenOf(first.adversarial) },
  });
  return {
    schema: first.schema,
    settings: first.settings,
    model: first.model,
    shard: null,
    ...measures,
    perDirection,
    notes: [...new Set(results.flatMap((r) => r.notes))].filter((note) => !SHARD_NOTE.test(note)),
    provenance: {
      ...first.provenance,
      wallSeconds: results.reduce((sum, r) => sum + r.provenance.wallSeconds, 0),
    },
  };
}
