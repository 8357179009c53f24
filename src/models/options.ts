/** Turns loose architecture options (CLI strings, JSON metadata) into checked values. */
import { WeightscapeError } from '../errors.ts';

function bad(arch: string, key: string, expected: string, value: unknown): never {
  throw new WeightscapeError(
    'bad-argument',
    `${arch}: option '${key}' must be ${expected} (got ${JSON.stringify(value)})`,
  );
}

export function positiveInteger(arch: string, raw: Record<string, unknown>, key: string, fallback: number): number {
  const value = raw[key] ?? fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) bad(arch, key, 'a positive integer', value);
  return n;
}

export function rate(arch: string, raw: Record<string, unknown>, key: string, fallback: number): number {
  const value = raw[key] ?? fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !(n >= 0 && n < 1)) bad(arch, key, 'a number in [0, 1)', value);
  return n;
}

export function integerList(arch: string, raw: Record<string, unknown>, key: string, fallback: number[]): number[] {
  const value = raw[key] ?? fallback;
  const list = typeof value === 'string' ? value.split(',').map(Number) : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => Number.isInteger(v) && v > 0)) {
    bad(arch, key, 'a comma-separated list of positive integers', value);
  }
  return list as number[];
}

/** Rejects options the architecture does not have. */
export function rejectUnknown(arch: string, raw: Record<string, unknown>, known: string[]): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key))
      throw new WeightscapeError('bad-argument', `${arch}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

export function choice<T extends string>(
  arch: string,
  raw: Record<string, unknown>,
  key: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value))
    bad(arch, key, `one of ${choices.join(', ')}`, value);
  return value as T;
}
