/**
 * Correlation of a flatness measure with a gap measure across checkpoints: result files are
 * grouped by their checkpoint's SHA-256 (a flatness result and an eval result of one checkpoint
 * form one pair), x and y read at dotted paths, then Pearson, Spearman and Kendall τ-b with
 * bootstrap intervals and permutation p-values.
 */
import { metricAt, type NamedResult } from '../results/metric-path.ts';
import { assertWholeRun } from '../results/whole-run.ts';
import { assertArgument, WeightscapeError } from '../errors.ts';
import { COEFFICIENTS, type Coefficient } from './correlation.ts';
import { bootstrapInterval, permutationTest } from './inference.ts';
import { settingsNotes } from './paired-settings.ts';

import { CORRELATION_SCHEMA, type CoefficientResult, type CorrelationResult } from '../results/correlation-schema.ts';

export type { CoefficientResult, CorrelationResult } from '../results/correlation-schema.ts';

/** The most bootstrap resamples or permutations: more would only cost time (and memory). */
export const MAX_RESAMPLES = 1_000_000;

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

function checkpointOf(result: NamedResult): { path: string; sha256: string } {
  const checkpoint = (result.json as { provenance?: { checkpoint?: { path?: string; sha256?: string } } }).provenance
    ?.checkpoint;
  if (checkpoint?.sha256 === undefined)
    throw new WeightscapeError(
      'bad-file',
      `${result.path}: the result names no checkpoint (provenance.checkpoint.sha256)`,
    );
  return { path: checkpoint.path ?? '?', sha256: checkpoint.sha256 };
}

/**
 * Pearson, Spearman and Kendall of x against y over the checkpoints of the results; null (with a note) where undefined.
 */
export function correlateResults(
  results: NamedResult[],
  x: string,
  y: string,
  { resamples = 2000, permutations = 10_000, seed = 0 } = {},
): CorrelationResult {
  for (const [name, n] of [
    ['resamples', resamples],
    ['permutations', permutations],
  ] as const) {
    assertArgument(
      Number.isInteger(n) && n >= 1 && n <= MAX_RESAMPLES,
      'correlate',
      name,
      () => `must be an integer in 1–${MAX_RESAMPLES} (got ${n})`,
    );
  }
  const groups = new Map<string, { path: string; files: NamedResult[] }>();
  for (const result of results) {
    assertWholeRun(result.path, result.json);
    const { path, sha256 } = checkpointOf(result);
    const group = groups.get(sha256) ?? { path, files: [] };
    group.files.push(result);
    groups.set(sha256, group);
  }
  const points: CorrelationResult['points'] = [];
  const sources = { x: [] as NamedResult[], y: [] as NamedResult[] };
  for (const [sha256, group] of groups) {
    const find = (metric: string) => group.files.find((f) => metricAt(f.json, metric) !== undefined);
    const xFile = find(x);
    const yFile = find(y);
    if (xFile === undefined || yFile === undefined) {
      throw new WeightscapeError(
        'bad-file',
        `${group.files.map((f) => f.path).join(', ')}: no number at '${xFile === undefined ? x : y}' for checkpoint ${group.path}`,
      );
    }
    sources.x.push(xFile);
    sources.y.push(yFile);
    points.push({ checkpoint: group.path, sha256, x: metricAt(xFile.json, x)!, y: metricAt(yFile.json, y)! });
  }
  if (points.length < 3)
    throw new WeightscapeError('bad-argument', `correlate: needs at least 3 checkpoints, got ${points.length}`);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const notes = [...settingsNotes('x', x, sources.x), ...settingsNotes('y', y, sources.y)];
  const constant = (
    [
      ['x', x, xs],
      ['y', y, ys],
    ] as const
  ).filter(([, , vs]) => vs.every((v) => v === vs[0]));
  for (const [axis, metric] of constant)
    notes.push(`${axis} (${metric}) is constant across the ${points.length} checkpoints: correlation undefined`);
  const coefficients = Object.fromEntries(
    (Object.keys(COEFFICIENTS) as Coefficient[]).map((name): [Coefficient, CoefficientResult] => {
      const statistic = COEFFICIENTS[name];
      if (constant.length > 0) {
        return [
          name,
          {
            value: null,
            interval: { low: null, high: null, level: 0.95, resamples, undefinedResamples: resamples },
            permutation: { pValue: null, exact: true, permutations: 0 },
          },
        ];
      }
      const interval = bootstrapInterval(xs, ys, statistic, { resamples, seed });
      const permutation = permutationTest(xs, ys, statistic, { resamples: permutations, seed });
      return [
        name,
        {
          value: finiteOrNull(statistic(xs, ys)),
          interval: { ...interval, low: finiteOrNull(interval.low), high: finiteOrNull(interval.high) },
          permutation: { ...permutation, pValue: finiteOrNull(permutation.pValue) },
        },
      ];
    }),
  ) as CorrelationResult['coefficients'];
  return { schema: CORRELATION_SCHEMA, x, y, points, coefficients, settings: { resamples, permutations, seed }, notes };
}
