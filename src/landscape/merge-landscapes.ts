/** Joins the shards of one sweep (same settings and identity) into one result. */
import { WeightscapeError } from '../errors.ts';
import { finish, type LandscapeResult, type Table } from './sample-landscape.ts';
import { checkSameSweep } from './sweep-identity.ts';

function mergeTables(tables: Array<Table | null>, sources: string[]): Table | null {
  if (tables.some((t) => t === null)) return null;
  const out = tables[0]!.map((row) => row.slice());
  tables.slice(1).forEach((table, s) => {
    table!.forEach((row, i) =>
      row.forEach((v, j) => {
        if (v === null) return;
        const existing = out[i]![j];
        if (existing !== null && existing !== v) {
          throw new WeightscapeError(
            'bad-file',
            `${sources[s + 1]}: point [${i}][${j}] differs from another shard (${v} vs ${existing})`,
          );
        }
        out[i]![j] = v;
      }),
    );
  });
  return out;
}

export function mergeLandscapes(results: LandscapeResult[], sources: string[]): LandscapeResult {
  if (results.length === 0) throw new WeightscapeError('bad-argument', 'merge: no results given');
  const first = results[0]!;
  results.forEach((r, i) => {
    if (r.schema !== first.schema)
      throw new WeightscapeError(
        'bad-file',
        `${sources[i]}: schema ${r.schema} differs from ${sources[0]}'s ${first.schema}`,
      );
    checkSameSweep(sources[i]!, r, first, `${sources[0]}`);
  });
  const merged: LandscapeResult = {
    ...first,
    shard: null,
    values: {
      cleanLoss: mergeTables(
        results.map((r) => r.values.cleanLoss),
        sources,
      )!,
      cleanAccuracy: mergeTables(
        results.map((r) => r.values.cleanAccuracy),
        sources,
      )!,
      robustLoss: mergeTables(
        results.map((r) => r.values.robustLoss),
        sources,
      ),
      robustAccuracy: mergeTables(
        results.map((r) => r.values.robustAccuracy),
        sources,
      ),
    },
    notes: [...new Set(results.flatMap((r) => r.notes))],
  };
  const wall = results.reduce((a, r) => a + r.provenance.wallSeconds, 0);
  return finish(merged, wall, performance.now());
}
