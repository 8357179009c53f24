/**
 * Correlation of a flatness measure with a gap measure across checkpoints: result files are
 * grouped by their checkpoint's SHA-256 (a flatness result and an eval result of one checkpoint
 * form one pair), x and y read at dotted paths, then Pearson, Spearman and Kendall τ-b with
 * bootstrap intervals and permutation p-values.
 */
import { metricAt, type NamedResult } from '../check/run-checks.ts';
import { WeightscapeError } from '../errors.ts';
import { COEFFICIENTS, type Coefficient } from './correlation.ts';
import { bootstrapInterval, permutationTest, type Interval, type PermutationTest } from './inference.ts';

export const CORRELATION_SCHEMA = 'weightscape.correlation/1';

export interface CorrelationResult {
  schema: typeof CORRELATION_SCHEMA;
  x: string;
  y: string;
  points: Array<{ checkpoint: string; sha256: string; x: number; y: number }>;
  coefficients: Record<Coefficient, { value: number; interval: Interval; permutation: PermutationTest }>;
  settings: { resamples: number; permutations: number; seed: number };
}

function checkpointOf(result: NamedResult): { path: string; sha256: string } {
  const checkpoint = (result.json as { provenance?: { checkpoint?: { path?: string; sha256?: string } } }).provenance?.checkpoint;
  if (checkpoint?.sha256 === undefined) throw new WeightscapeError('bad-file', `${result.path}: the result names no checkpoint (provenance.checkpoint.sha256)`);
  return { path: checkpoint.path ?? '?', sha256: checkpoint.sha256 };
}

export function correlateResults(results: NamedResult[], x: string, y: string, { resamples = 2000, permutations = 10_000, seed = 0 } = {}): CorrelationResult {
  const groups = new Map<string, { path: string; files: NamedResult[] }>();
  for (const result of results) {
    const { path, sha256 } = checkpointOf(result);
    const group = groups.get(sha256) ?? { path, files: [] };
    group.files.push(result);
    groups.set(sha256, group);
  }
  const points: CorrelationResult['points'] = [];
  for (const [sha256, group] of groups) {
    const find = (metric: string) => group.files.map((f) => metricAt(f.json, metric)).find((v) => v !== undefined);
    const xv = find(x);
    const yv = find(y);
    if (xv === undefined || yv === undefined) {
      throw new WeightscapeError('bad-file', `${group.files.map((f) => f.path).join(', ')}: no number at '${xv === undefined ? x : y}' for checkpoint ${group.path}`);
    }
    points.push({ checkpoint: group.path, sha256, x: xv, y: yv });
  }
  if (points.length < 3) throw new WeightscapeError('bad-argument', `correlate: needs at least 3 checkpoints, got ${points.length}`);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const coefficients = Object.fromEntries((Object.keys(COEFFICIENTS) as Coefficient[]).map((name) => {
    const statistic = COEFFICIENTS[name];
    return [name, { value: statistic(xs, ys), interval: bootstrapInterval(xs, ys, statistic, { resamples, seed }), permutation: permutationTest(xs, ys, statistic, { resamples: permutations, seed }) }];
  })) as CorrelationResult['coefficients'];
  return { schema: CORRELATION_SCHEMA, x, y, points, coefficients, settings: { resamples, permutations, seed } };
}
