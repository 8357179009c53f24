/**
 * Sampling grids: ranges `start:stop:count` (both ends included), values stored as
 * values[i_beta][i_alpha] (1D sweeps have one row), and the flat point order k = i_beta·nα + i_alpha
 * that shards (`--shard i/n` takes k ≡ i mod n) and resumes follow.
 */
import { WeightscapeError } from '../errors.ts';

export function parseRange(text: string, flag = '--range'): number[] {
  const parts = text.split(':');
  const [start, stop, count] = parts.map(Number) as [number, number, number];
  if (parts.length !== 3 || !Number.isFinite(start) || !Number.isFinite(stop) || !Number.isInteger(count) || count < 1 || count > 100_000) {
    throw new WeightscapeError('bad-argument', `${flag} ${text}: expected start:stop:count, e.g. -1:1:21`);
  }
  if (count === 1) return [start];
  // Repeated points would be computed twice and make the curvature fit singular.
  if (start === stop) throw new WeightscapeError('bad-argument', `${flag} ${text}: start equals stop, so all ${count} points are the same; give different ends or count 1`);
  const span = Math.abs(stop - start);
  // start + (stop − start)·i/(n − 1) can miss 0 by rounding (e.g. 1e-17); flatness needs α = 0 exactly.
  return Array.from({ length: count }, (_, i) => {
    const value = start + ((stop - start) * i) / (count - 1);
    return Math.abs(value) <= 1e-12 * span ? 0 : value;
  });
}

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) throw new WeightscapeError('bad-argument', `--shard ${text}: expected i/n with 0 ≤ i < n`);
  return { index, count };
}

/** The flat indices of the points a shard computes. */
export function shardPoints(total: number, shard: Shard | undefined): number[] {
  return Array.from({ length: total }, (_, k) => k).filter((k) => shard === undefined || k % shard.count === shard.index);
}

/** An all-null values[i_beta][i_alpha] table. */
export function emptyTable(alphas: number[], betas: number[] | null): (number | null)[][] {
  return Array.from({ length: betas?.length ?? 1 }, () => new Array<number | null>(alphas.length).fill(null));
}
