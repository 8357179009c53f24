/**
 * The schema of a regression baseline (`weightscape.baseline/1`): metrics (dotted paths into
 * result files), each with its baseline value, a direction and a tolerance. Strict: a misspelt
 * key in a hand-written baseline would otherwise be a tolerance silently ignored.
 */
import { z } from 'zod';

export const BASELINE_SCHEMA = 'weightscape.baseline/1';

export const baselineCheckSchema = z
  .object({
    /** Which result file the metric comes from: its name (basename); omitted when there is one result. */
    result: z.string().optional(),
    metric: z.string().min(1),
    direction: z.enum(['must-not-rise', 'must-not-fall', 'within']),
    value: z.number(),
    absolute: z.number().nonnegative().optional(),
    relative: z.number().nonnegative().optional(),
  })
  .strict()
  .refine((c) => c.absolute !== undefined || c.relative !== undefined, {
    message: 'needs an absolute or a relative tolerance',
  });

export const baselineSchema = z
  .object({ schema: z.literal(BASELINE_SCHEMA), checks: z.array(baselineCheckSchema).min(1) })
  .strict();

export type Baseline = z.output<typeof baselineSchema>;
export type BaselineCheck = z.output<typeof baselineCheckSchema>;
