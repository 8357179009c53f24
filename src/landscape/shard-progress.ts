/** How far a sweep (or its shard) is: the points it owns and how many of them hold values. */
import { shardPoints, type Shard } from '../cluster/shard-spec.ts';
import type { LandscapeResult } from '../results/landscape-schema.ts';

/** Points of `shard` (the result's own shard by default) computed, and their total. */
export function shardProgress(
  result: Pick<LandscapeResult, 'grid' | 'values' | 'shard'>,
  shard: Shard | null | undefined = result.shard,
): { done: number; total: number } {
  const columns = result.grid.alphas.length;
  const points = shardPoints(columns * (result.grid.betas?.length ?? 1), shard ?? undefined);
  const done = points.filter((k) => result.values.cleanLoss[Math.floor(k / columns)]![k % columns] !== null).length;
  return { done, total: points.length };
}
