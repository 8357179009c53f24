/** The schema of a training run's log.json (`weightscape.train-log/1`). */
import { z } from 'zod';
import type { TRAIN_LOG_SCHEMA, TrainLog } from '../train/trainer.ts';
import { trainConfigSchema } from '../train/train-config.ts';
import { modelConfigSchema, provenanceSchema, splitMetricsSchema, type Assignable } from './schema-parts.ts';

export const TRAIN_LOG_TAG = 'weightscape.train-log/1';

const epochSchema = z.object({
  epoch: z.number().int().positive(),
  lr: z.number(),
  seconds: z.number(),
  trainLoss: z.number(),
  awp: z.boolean(),
  train: splitMetricsSchema,
  test: splitMetricsSchema,
  gap: z.object({ accuracy: z.number(), loss: z.number() }).loose().nullable(),
}).loose();

export const trainLogSchema = z.object({
  schema: z.literal(TRAIN_LOG_TAG),
  // Loose on read: a newer trainer may record more settings (resume compares the exact JSON anyway).
  config: trainConfigSchema.loose(),
  model: modelConfigSchema,
  note: z.string(),
  epochs: z.array(epochSchema),
  provenance: provenanceSchema,
}).loose();

export const trainLogTypeMatches: Assignable<z.infer<typeof trainLogSchema>, TrainLog> = true;
export const trainLogTagMatches: Assignable<typeof TRAIN_LOG_TAG, typeof TRAIN_LOG_SCHEMA> = true;
