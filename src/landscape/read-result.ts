/** Reads a landscape result file, checking what it claims to be. */
import { WeightscapeError } from '../errors.ts';
import { readJsonFile } from '../results/read-json.ts';
import { LANDSCAPE_SCHEMA, type LandscapeResult } from './sample-landscape.ts';

export function readLandscape(path: string): LandscapeResult {
  const r = readJsonFile(path) as Partial<LandscapeResult>;
  if (r.schema !== LANDSCAPE_SCHEMA) throw new WeightscapeError('bad-file', `${path}: not a landscape result (schema ${JSON.stringify(r.schema)}, expected ${LANDSCAPE_SCHEMA})`);
  const rows = r.grid?.betas?.length ?? 1;
  const cols = r.grid?.alphas?.length ?? 0;
  const ok = (t: unknown) => Array.isArray(t) && t.length === rows && t.every((row) => Array.isArray(row) && row.length === cols && row.every((v) => v === null || typeof v === 'number'));
  if (!r.settings || !ok(r.values?.cleanLoss) || !ok(r.values?.cleanAccuracy)) throw new WeightscapeError('bad-file', `${path}: landscape values do not match its grid`);
  return r as LandscapeResult;
}
