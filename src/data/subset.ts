/** Class-stratified subsets, deterministic for a seed. */
import { WeightscapeError } from '../errors.ts';
import { seededUniform, shuffled } from '../random.ts';

/**
 * Indices (ascending) of `size` examples whose class proportions follow the labels' (largest
 * remainders get the leftover places), drawn per class by a seeded shuffle.
 */
export function stratifiedIndices(labels: Int32Array, size: number, seed: number): number[] {
  if (!Number.isInteger(size) || size < 1)
    throw new WeightscapeError('bad-argument', `--subset: expected a positive integer (got ${size})`);
  if (size >= labels.length) return Array.from(labels.keys());
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = byClass.get(label) ?? [];
    list.push(i);
    byClass.set(label, list);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const exact = classes.map((c) => (size * byClass.get(c)!.length) / labels.length);
  const quota = exact.map(Math.floor);
  let left = size - quota.reduce((a, b) => a + b, 0);
  const order = classes.map((_, i) => i).sort((a, b) => exact[b]! - quota[b]! - (exact[a]! - quota[a]!) || a - b);
  for (const i of order) {
    if (left === 0) break;
    quota[i]!++;
    left--;
  }
  const chosen: number[] = [];
  classes.forEach((c, i) => {
    const uniform = seededUniform((seed * 1_000_003 + c) >>> 0);
    chosen.push(...shuffled(byClass.get(c)!, uniform).slice(0, quota[i]!));
  });
  return chosen.sort((a, b) => a - b);
}
