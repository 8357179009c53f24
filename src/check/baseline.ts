/**
 * Regression baselines: metrics (dotted paths into result files, e.g. `splits.test.robust.accuracy`
 * or `adversarial.averageIncrease`), each with its baseline value, a direction and a tolerance.
 *   must-not-fall: actual ≥ value − slack;  must-not-rise: actual ≤ value + slack;
 *   within: |actual − value| ≤ slack;  slack = max(absolute, relative·|value|).
 * The schema lives with the other result schemas (src/results/baseline-schema.ts).
 */
import { readResult } from '../results/read-result.ts';
import type { Baseline, BaselineCheck } from '../results/baseline-schema.ts';

export { BASELINE_SCHEMA, baselineSchema, type Baseline, type BaselineCheck } from '../results/baseline-schema.ts';

/** Reads and validates a baseline file (exit 2 naming the file and the first bad field). */
export function readBaseline(path: string): Baseline {
  return readResult(path, 'baseline');
}

/** The slack a check allows around its baseline value. */
export function slack(check: BaselineCheck): number {
  return Math.max(check.absolute ?? 0, (check.relative ?? 0) * Math.abs(check.value));
}
