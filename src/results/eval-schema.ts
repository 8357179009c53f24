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

/**
 * One batch's sums as evaluateSplit adds them (float32 sums, exact in JSON): batch b is examples
 * b·batchSize… of the split. Robust: of the attack; check: of the PGD-10 masking check; fooledByMember
 * and outcome: AutoAttack's and APGD/Square's, as in the split metrics.
 */
export const batchRecordSchema = z
  .object({
    batch: z.number().int().nonnegative(),
    count: z.number().int().positive(),
    cleanLoss: z.number(),
    cleanCorrect: z.number().int().nonnegative(),
    robustLoss: z.number().optional(),
    robustCorrect: z.number().int().nonnegative().optional(),
    checkLoss: z.number().optional(),
    checkCorrect: z.number().int().nonnegative().optional(),
    fooledByMember: z.array(z.number().int().nonnegative()).optional(),
    outcome: z.string().optional(),
  })
  .loose();

/** A shard's batches of one split: the split's size (all shards) and the sums of this shard's batches, in order. */
const splitBatchesSchema = z
  .object({ examples: z.number().int().positive(), records: z.array(batchRecordSchema) })
  .loose();

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
    /** Images per batch: it decides the batches (and each batch's attack seed). Absent in older results. */
    batchSize: z.number().int().positive().optional(),
    /**
     * `eval --shard i/n`: this result holds batches b ≡ i (mod n) of each split only, and its split
     * metrics, gap and masking notes are over those; null or absent: the whole evaluation.
     */
    shard: z
      .object({ index: z.number().int().nonnegative(), count: z.number().int().positive() })
      .nullable()
      .optional(),
    /**
     * Sharded results only (so that whole results stay small): per split, the sums of this shard's
     * batches, which weightscape merge adds in batch order, as one process does, for an exact merge.
     * A split with no batch in this shard has records [] and no entry in splits.
     */
    batches: z.object({ train: splitBatchesSchema.optional(), test: splitBatchesSchema.optional() }).loose().optional(),
    notes: notesSchema,
    provenance: provenanceSchema,
  })
  .loose();

export type EvalResult = Known<z.output<typeof evalSchema>>;
export type RobustGap = Known<z.output<typeof robustGapSchema>>;
export type BatchRecord = Known<z.output<typeof batchRecordSchema>>;
export type SplitBatches = Known<z.output<typeof splitBatchesSchema>>;
