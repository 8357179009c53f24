/**
 * Regression baselines: metrics (dotted paths into result files, e.g. `splits.test.robust.accuracy`
 * or `adversarial.averageIncrease`), each with its baseline value, a direction and a tolerance.
 *   must-not-fall: actual ≥ value − slack;  must-not-rise: actual ≤ value + slack;
 *   within: |actual − value| ≤ slack;  slack = max(absolute, relative·|value|).
 */
import { z } from 'zod';
import { WeightscapeError } from '../errors.ts';
import { readJsonFile } from '../results/read-json.ts';

export const BASELINE_SCHEMA = 'weightscape.baseline/1';

const checkSchema = z.object({
  /** Which result file the metric comes from: its name (basename); omitted when there is one result. */
  result: z.string().optional(),
  metric: z.string().min(1),
  direction: z.enum(['must-not-rise', 'must-not-fall', 'within']),
  value: z.number(),
  absolute: z.number().nonnegative().optional(),
  relative: z.number().nonnegative().optional(),
}).strict().refine((c) => c.absolute !== undefined || c.relative !== undefined, { message: 'needs an absolute or a relative tolerance' });

export const baselineSchema = z.object({ schema: z.literal(BASELINE_SCHEMA), checks: z.array(checkSchema).min(1) }).strict();

export type Baseline = z.infer<typeof baselineSchema>;
export type BaselineCheck = Baseline['checks'][number];

export function readBaseline(path: string): Baseline {
  const json = readJsonFile(path, 'JSON baseline');
  const parsed = baselineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WeightscapeError('bad-file', `${path}: invalid baseline: ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The slack a check allows around its baseline value. */
export function slack(check: BaselineCheck): number {
  return Math.max(check.absolute ?? 0, (check.relative ?? 0) * Math.abs(check.value));
}
