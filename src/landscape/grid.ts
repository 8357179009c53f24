/**
 * Sampling grids: ranges `start:stop:count` (both ends included), values stored as
 * values[i_beta][i_alpha] (1D sweeps have one row), and the flat point order k = i_beta·nα + i_alpha
 * that shards (`--shard i/n` takes k ≡ i mod n, see cluster/shard-spec.ts) and resumes follow.
 */
import { WeightscapeError } from '../errors.ts';

/**
 * The grid of `start:stop:count` (both ends included), refused (exit 2, naming `flag`) unless its points are finite and
 * distinct.
 */
export function parseRange(text: string, flag = '--range'): number[] {
  const parts = text.split(':');
  // Number('') is 0: a blank part must not pass for a zero.
  const [start, stop, count] = parts.map((part) => (part.trim() === '' ? NaN : Number(part))) as [
    number,
    number,
    number,
  ];
  if (
    parts.length !== 3 ||
    !Number.isFinite(start) ||
    !Number.isFinite(stop) ||
    !Number.isInteger(count) ||
    count < 1 ||
    count > 100_000
  ) {
    throw new WeightscapeError('bad-argument', `${flag} ${text}: expected start:stop:count, e.g. -1:1:21`);
  }
  if (count === 1) return [start];
  // Repeated points would be computed twice and make the curvature fit singular.
  if (start === stop)
    throw new WeightscapeError(
      'bad-argument',
      `${flag} ${text}: start equals stop, so all ${count} points are the same; give different ends or count 1`,
    );
  const crossesZero = Math.sign(start) !== Math.sign(stop);
  const scale = Math.max(Math.abs(start), Math.abs(stop));
  const values = Array.from({ length: count }, (_, i) => {
    if (i === count - 1) return stop;
    const stepped = start + ((stop - start) * i) / (count - 1);
    // Ends near ±1.8e308 overflow (stop − start)·i; interpolate those instead.
    const value = Number.isFinite(stepped) ? stepped : start * (1 - i / (count - 1)) + stop * (i / (count - 1));
    // Rounding can miss 0 by ~1e-17 on a grid through it; flatness needs α = 0 exactly.
    return crossesZero && i > 0 && Math.abs(value) <= 1e-12 * scale ? 0 : value;
  });
  const increasing = stop > start;
  if (
    values.some((v, i) => !Number.isFinite(v) || (i > 0 && (increasing ? v <= values[i - 1]! : v >= values[i - 1]!)))
  ) {
    throw new WeightscapeError(
      'bad-argument',
      `${flag} ${text}: the ${count} points are not distinct at double precision; give fewer points or a wider range`,
    );
  }
  return values;
}

export { parseShard, shardPoints, type Shard } from '../cluster/shard-spec.ts';

/** An all-null values[i_beta][i_alpha] table. */
export function emptyTable(alphas: number[], betas: number[] | null): (number | null)[][] {
  return Array.from({ length: betas?.length ?? 1 }, () => new Array<number | null>(alphas.length).fill(null));
}
