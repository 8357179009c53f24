/**
 * The schema of a correlation result (`weightscape.correlation/1`), and the type inferred from it.
 * A coefficient, interval bound or p-value is null where it is undefined (a constant measure), with
 * a note saying why.
 */
import { z } from 'zod';
import { notesSchema, numberOrNull, type Known } from './schema-parts.ts';

export const CORRELATION_SCHEMA = 'weightscape.correlation/1';

const coefficientSchema = z
  .object({
    value: numberOrNull,
    interval: z
      .object({
        low: numberOrNull,
        high: numberOrNull,
        level: z.number(),
        resamples: z.number().int(),
        undefinedResamples: z.number().int(),
      })
      .loose(),
    permutation: z.object({ pValue: numberOrNull, exact: z.boolean(), permutations: z.number().int() }).loose(),
  })
  .loose();

export const correlationSchema = z
  .object({
    schema: z.literal(CORRELATION_SCHEMA),
    x: z.string(),
    y: z.string(),
    points: z.array(z.object({ checkpoint: z.string(), sha256: z.string(), x: z.number(), y: z.number() }).loose()),
    coefficients: z
      .object({ pearson: coefficientSchema, spearman: coefficientSchema, kendall: coefficientSchema })
      .loose(),
    settings: z.object({ resamples: z.number().int(), permutations: z.number().int(), seed: z.number() }).loose(),
    /**
     * Why a coefficient is null, and settings that differ between the paired results (absent in results written before
     * notes were recorded).
     */
    notes: notesSchema.default([]),
  })
  .loose();

export type CorrelationResult = Known<z.output<typeof correlationSchema>>;
/** A coefficient with its uncertainty; null where undefined (a constant measure: see the notes). */
export type CoefficientResult = Known<z.output<typeof coefficientSchema>>;
