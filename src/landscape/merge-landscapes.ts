/** Joins the shards of one sweep (same settings) into one result. */
import { WeightscapeError } from '../errors.ts';
import { finish, type LandscapeResult, type Table } from './sample-landscape.ts';

function mergeTables(tables: Array<Table | null>, sources: string[]): Table | null {
  if (tables.some((t) => t === null)) return null;
  const out = tables[0]!.map((row) => row.slice());
  tables.slice(1).forEach((table, s) => {
    table!.forEach((row, i) => row.forEach((v, j) => {
      if (v === null) return;
      const existing = out[i]![j];
      if (existing !== null && existing !== v) {
        throw new WeightscapeError('bad-file', `${sources[s + 1]}: point [${i}][${j}] differs from another shard (${v} vs ${existing})`);
      }
      out[i]![j] = v;
    }));
  });
  return out;
}

export function mergeLandscapes(results: LandscapeResult[], sources: string[]): LandscapeResult {
  if (results.length === 0) throw new WeightscapeError('bad-argument', 'merge: no results given');
  const first = results[0]!;
  results.forEach((r, i) => {
    if (r.schema !== first.schema || JSON.stringify(r.settings) !== JSON.stringify(first.settings)) {
      throw new WeightscapeError('bad-file', `${sources[i]}: not a shard of the same sweep as ${sources[0]} (settings differ)`);
    }
  });
  const merged: LandscapeResult = {
    ...first,
    shard: null,
    values: {
      cleanLoss: mergeTables(results.map((r) => r.values.cleanLoss), sources)!,
      cleanAccuracy: mergeTables(results.map((r) => r.values.cleanAccuracy), sources)!,
      robustLoss: mergeTables(results.map((r) => r.values.robustLoss), sources),
      robustAccuracy: mergeTables(results.map((r) => r.values.robustAccuracy), sources),
    },
    notes: [...new Set(results.flatMap((r) => r.notes))],
  };
  const wall = results.reduce((a, r) => a + r.provenance.wallSeconds, 0);
  return finish(merged, wall, performance.now());
}
