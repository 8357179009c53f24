/** Number flags: one clear error naming the flag. */
import { WeightscapeError } from '../src/errors.ts';

export function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new WeightscapeError('bad-argument', `--${flag}: expected a positive integer (got '${text}')`);
  return value;
}

export function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new WeightscapeError('bad-argument', `--${flag}: expected a positive number (got '${text}')`);
  return value;
}
