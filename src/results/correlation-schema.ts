/**
 * The schema of a correlation result (`weightscape.correlation/1`). A coefficient, interval bound
 * or p-value is null where it is undefined (a constant measure), with a note saying why.
 */
import { z } from 'zod';
import type { CORRELATION_SCHEMA, CorrelationResult } from '../stats/correlate-results.ts';
import { notesSchema, numberOrNull, type Assignable } from './schema-parts.ts';

export const CORRELATION_TAG = 'weightscape.correlation/1';

const coefficientSchema = z.object({
  value: numberOrNull,
  interval: z.object({ low: numberOrNull, high: numberOrNull, level: z.number(), resamples: z.number().int(), undefinedResamples: z.number().int() }).loose(),
  permutation: z.object({ pValue: numberOrNull, exact: z.boolean(), permutations: z.number().int() }).loose(),
}).loose();

export const correlationSchema = z.object({
  schema: z.literal(CORRELATION_TAG),
  x: z.string(),
  y: z.string(),
  points: z.array(z.object({ checkpoint: z.string(), sha256: z.string(), x: z.number(), y: z.number() }).loose()),
  coefficients: z.object({ pearson: coefficientSchema, spearman: coefficientSchema, kendall: coefficientSchema }).loose(),
  settings: z.object({ resamples: z.number().int(), permutations: z.number().int(), seed: z.number() }).loose(),
  // Absent in results written before notes were recorded.
  notes: notesSchema.default([]),
}).loose();

export type CorrelationFile = z.infer<typeof correlationSchema>;
export const correlationTypeMatches: Assignable<CorrelationFile, CorrelationResult> = true;
export const correlationTagMatches: Assignable<typeof CORRELATION_TAG, typeof CORRELATION_SCHEMA> = true;
