/** The schema of an eval result (`weightscape.eval/2`). */
import { z } from 'zod';
import type { EVAL_SCHEMA, EvalResult } from '../eval/evaluate-checkpoint.ts';
import { modelConfigSchema, notesSchema, provenanceSchema, splitMetricsSchema, type Assignable } from './schema-parts.ts';

export const EVAL_TAG = 'weightscape.eval/2';

export const evalSchema = z.object({
  schema: z.literal(EVAL_TAG),
  model: modelConfigSchema,
  attack: z.string(),
  data: z.object({ spec: z.string(), subset: z.number().int().positive().nullable(), splits: z.record(z.string(), z.string()) }).loose(),
  splits: z.object({ train: splitMetricsSchema.optional(), test: splitMetricsSchema.optional() }).loose(),
  gap: z.object({ accuracy: z.number(), loss: z.number() }).loose().optional(),
  notes: notesSchema,
  provenance: provenanceSchema,
}).loose();

export const evalTypeMatches: Assignable<z.infer<typeof evalSchema>, EvalResult> = true;
export const evalTagMatches: Assignable<typeof EVAL_TAG, typeof EVAL_SCHEMA> = true;
