/** The schema of an eval result (`weightscape.eval/2`), and the type inferred from it. */
import { z } from 'zod';
import {
  modelConfigSchema,
  notesSchema,
  provenanceSchema,
  splitMetricsSchema,
  trainingSubsetSchema,
  type Known,
} from './schema-parts.ts';

export const EVAL_SCHEMA = 'weightscape.eval/2';

/** Robust accuracy and loss, train minus test. */
const robustGapSchema = z.object({ accuracy: z.number(), loss: z.number() }).loose();

export const evalSchema = z
  .object({
    schema: z.literal(EVAL_SCHEMA),
    model: modelConfigSchema,
    attack: z.string(),
    data: z
      .object({
        spec: z.string(),
        subset: z.number().int().positive().nullable(),
        /** The train split was first cut to the examples a run trained on. */
        trainingSubset: trainingSubsetSchema,
        splits: z.record(z.string(), z.string()),
      })
      .loose(),
    splits: z.object({ train: splitMetricsSchema.optional(), test: splitMetricsSchema.optional() }).loose(),
    /** Present when both splits were evaluated under an attack. */
    gap: robustGapSchema.optional(),
    notes: notesSchema,
    provenance: provenanceSchema,
  })
  .loose();

export type EvalResult = Known<z.output<typeof evalSchema>>;
export type RobustGap = Known<z.output<typeof robustGapSchema>>;
