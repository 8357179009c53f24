/** The schema of a training run's log.json (`weightscape.train-log/1`), and the types inferred from it. */
import { z } from 'zod';
import { modelConfigSchema, notesSchema, provenanceSchema, splitMetricsSchema, type Known } from './schema-parts.ts';
import { trainConfigSchema } from './train-config-schema.ts';

export const TRAIN_LOG_SCHEMA = 'weightscape.train-log/1';

const epochSchema = z
  .object({
    epoch: z.number().int().positive(),
    lr: z.number(),
    seconds: z.number(),
    /** Mean training loss over the epoch's batches (at θ + v with AWP). */
    trainLoss: z.number(),
    awp: z.boolean(),
    train: splitMetricsSchema,
    test: splitMetricsSchema,
    /** Robust accuracy and loss, train minus test, on the unperturbed weights. */
    gap: z.object({ accuracy: z.number(), loss: z.number() }).loose().nullable(),
    /** The epoch's saved weights (--save-every, --save-epochs): path relative to the run directory. */
    checkpoint: z.object({ path: z.string(), sha256: z.string() }).loose().optional(),
  })
  .loose();

export const trainLogSchema = z
  .object({
    schema: z.literal(TRAIN_LOG_SCHEMA),
    // Loose on read: a newer trainer may record more settings (resume compares the exact JSON anyway).
    config: trainConfigSchema.loose(),
    model: modelConfigSchema,
    note: z.string(),
    /** Warnings about the configuration (absent in logs written before they existed). */
    notes: notesSchema.optional(),
    epochs: z.array(epochSchema),
    provenance: provenanceSchema,
  })
  .loose();

export type TrainLog = Known<z.output<typeof trainLogSchema>>;
export type EpochRecord = Known<z.output<typeof epochSchema>>;
