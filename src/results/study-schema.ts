/**
 * The schema of a study result (`weightscape.study/1`): per checkpoint (every saved epoch of every
 * run, or the files given) the robust generalization gap, the flatness measures and the 1D loss
 * curves, then the correlation of each flatness measure with the gap across all checkpoints,
 * within each run and across runs. Every per-checkpoint number is also in the piece files the
 * study cached (eval, flatness, landscape results), named in `files`, so `weightscape correlate`
 * on those files gives the same coefficients.
 */
import { z } from 'zod';
import { correlationSchema } from './correlation-schema.ts';
import { lossFlatnessSummarySchema } from './flatness-schema.ts';
import {
  notesSchema,
  numberOrNull,
  provenanceSchema,
  splitMetricsSchema,
  trainingSubsetSchema,
  type Known,
} from './schema-parts.ts';

export const STUDY_SCHEMA = 'weightscape.study/1';

/** A loss along the random directions: mean, min and max over the directions at each α. */
const spreadCurveSchema = z
  .object({ mean: z.array(z.number()), min: z.array(z.number()), max: z.array(z.number()) })
  .loose();

const curvesSchema = z
  .object({
    random: z
      .object({ alphas: z.array(z.number()), clean: spreadCurveSchema, adversarial: spreadCurveSchema.nullable() })
      .loose(),
    adversarial: z
      .object({ alphas: z.array(z.number()), clean: z.array(z.number()), adversarial: z.array(z.number()).nullable() })
      .loose(),
  })
  .loose();

const studyCheckpointSchema = z
  .object({
    /** The run directory's name, or null for a checkpoint given as a file. */
    run: z.string().nullable(),
    /** The epoch (from the run's log.json or the checkpoint's metadata), or null when unknown. */
    epoch: z.number().int().nonnegative().nullable(),
    path: z.string(),
    sha256: z.string(),
    /** The run's training subset (from its log): the train split of the gap and of train-split landscapes. */
    trainingSubset: trainingSubsetSchema,
    /** The cached piece results, relative to the study directory. */
    files: z
      .object({
        eval: z.string(),
        flatness: z.string(),
        random: z.array(z.string()),
        adversarial: z.string(),
      })
      .loose(),
    train: splitMetricsSchema,
    test: splitMetricsSchema,
    /** Robust accuracy and loss, train minus test, at θ; null without an attack. */
    gap: z.object({ accuracy: z.number(), loss: z.number() }).loose().nullable(),
    flatness: z.object({ clean: lossFlatnessSummarySchema, adversarial: lossFlatnessSummarySchema.nullable() }).loose(),
    curves: curvesSchema,
  })
  .loose();

/** Robust accuracy per epoch of a run, from its log.json (every epoch, not only the saved ones). */
const historySchema = z
  .object({
    epoch: z.number().int().positive(),
    trainRobust: numberOrNull,
    testRobust: numberOrNull,
    trainClean: z.number(),
    testClean: z.number(),
  })
  .loose();

const correlationEntrySchema = z
  .object({
    /** all: every checkpoint; run: the epochs of one run; final / best: each run at its last / best epoch. */
    scope: z.enum(['all', 'run', 'final', 'best']),
    run: z.string().nullable(),
    /** The flatness measure (a path in the flatness results). */
    measure: z.string(),
    /** Null where the scope has fewer than 3 checkpoints (see note). */
    result: correlationSchema.nullable(),
    note: z.string().nullable(),
  })
  .loose();

export const studySchema = z
  .object({
    schema: z.literal(STUDY_SCHEMA),
    settings: z
      .object({
        data: z.string(),
        attack: z.string(),
        /** Class-stratified subset of each split for the gap (null: the whole split). */
        subset: z.number().int().positive().nullable(),
        /** The split the flatness measures and curves are measured on. */
        landscapeSplit: z.enum(['train', 'test']),
        landscapeSubset: z.number().int().positive().nullable(),
        directions: z.number().int().positive(),
        rho: z.number(),
        rhoAdversarial: z.number(),
        alphas: z.array(z.number()),
        adversarialAlphas: z.array(z.number()),
        batchSize: z.number().int().positive(),
        seed: z.number(),
        /** The gap metric every measure is correlated with (a path in the eval results). */
        gap: z.string(),
        measures: z.array(z.string()),
        resamples: z.number().int(),
        permutations: z.number().int(),
      })
      .loose(),
    runs: z.array(
      z
        .object({
          name: z.string(),
          dir: z.string(),
          /** Epochs of the run's checkpoints in this study, ascending. */
          epochs: z.array(z.number().int().nonnegative()),
          history: z.array(historySchema),
          /** The epoch with the highest test robust accuracy among the studied checkpoints. */
          bestEpoch: z.number().int().nonnegative().nullable(),
        })
        .loose(),
    ),
    checkpoints: z.array(studyCheckpointSchema),
    correlations: z.array(correlationEntrySchema),
    notes: notesSchema,
    provenance: provenanceSchema,
  })
  .loose();

export type StudyResult = Known<z.output<typeof studySchema>>;
export type StudyCheckpoint = Known<z.output<typeof studyCheckpointSchema>>;
export type StudyCorrelation = Known<z.output<typeof correlationEntrySchema>>;
