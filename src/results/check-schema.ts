/**
 * The schema of a check verdict (`weightscape.check/1`, `weightscape check --json`): one verdict
 * per baseline check, the value found and the bound it was held to. JSON has no infinity, so an
 * unbounded side of the bound is null.
 */
import { z } from 'zod';
import { baselineCheckSchema } from './baseline-schema.ts';
import { numberOrNull, type Known } from './schema-parts.ts';

export const CHECK_SCHEMA = 'weightscape.check/1';

const verdictSchema = z
  .object({
    check: baselineCheckSchema,
    /** The result file the metric was read from. */
    source: z.string(),
    actual: z.number(),
    /** [low, high]; null where unbounded (must-not-fall has no high, must-not-rise no low). */
    allowed: z.tuple([numberOrNull, numberOrNull]),
    passed: z.boolean(),
  })
  .loose();

export const checkSchema = z.object({ schema: z.literal(CHECK_SCHEMA), verdicts: z.array(verdictSchema) }).loose();

export type CheckResult = Known<z.output<typeof checkSchema>>;
export type CheckVerdict = Known<z.output<typeof verdictSchema>>;
