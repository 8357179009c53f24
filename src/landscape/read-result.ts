/** Reads a landscape result file, checking what it claims to be. */
import { readFileSync } from 'node:fs';
import { WeightscapeError } from '../errors.ts';
import { LANDSCAPE_SCHEMA, type LandscapeResult } from './sample-landscape.ts';

export function readLandscape(path: string): LandscapeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new WeightscapeError('bad-file', `${path}: not a readable JSON result (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const r = parsed as Partial<LandscapeResult>;
  if (r.schema !== LANDSCAPE_SCHEMA) throw new WeightscapeError('bad-file', `${path}: not a landscape result (schema ${JSON.stringify(r.schema)}, expected ${LANDSCAPE_SCHEMA})`);
  const rows = r.grid?.betas?.length ?? 1;
  const cols = r.grid?.alphas?.length ?? 0;
  const ok = (t: unknown) => Array.isArray(t) && t.length === rows && t.every((row) => Array.isArray(row) && row.length === cols && row.every((v) => v === null || typeof v === 'number'));
  if (!r.settings || !ok(r.values?.cleanLoss) || !ok(r.values?.cleanAccuracy)) throw new WeightscapeError('bad-file', `${path}: landscape values do not match its grid`);
  return r as LandscapeResult;
}
