/**
 * The schema of a flatness result: `weightscape.flatness/1`, and `/2` where the adversarial
 * measures may be null (`--attack none`) and each loss records whether its Hessian power iteration
 * converged. The type inferred here covers both; weightscape writes `/2`. A shard of a run split
 * by random directions (`--shard i/n`) records `shard`: its measures are over its own directions only,
 * and shards other than 0 have no adversarial-direction increase or Hessian eigenvalue (null);
 * `weightscape merge` joins the shards into the run's result.
 */
import { z } from 'zod';
import {
  modelConfigSchema,
  notesSchema,
  numberOrNull,
  provenanceSchema,
  trainingSubsetSchema,
  type Known,
} from './schema-parts.ts';

export const FLATNESS_SCHEMA = 'weightscape.flatness/2';
export const FLATNESS_TAGS = ['weightscape.flatness/1', FLATNESS_SCHEMA] as const;

const lossFlatnessSchema = z
  .object({
    atTheta: z.number(),
    averageIncrease: z.number(),
    maxIncrease: z.number(),
    /** At settings.rhoAdversarial; null on a shard other than 0 (computed by shard 0 only). */
    adversarialDirectionIncrease: numberOrNull,
    curvature: z.number(),
    /**
     * The top Hessian eigenvalue: largest algebraic, by Lanczos on exact products (results made
     * before exact products: largest magnitude, by power iteration on finite differences).
     */
    hessianTopEigenvalue: numberOrNull,
    /**
     * false: the eigensolver stopped before converging, so the eigenvalue is an estimate; null without --hessian;
     * absent in `/1`.
     */
    hessianConverged: z.boolean().nullable().optional(),
  })
  .loose();

/** A loss's measures without the Hessian's: what a study keeps per checkpoint (of a whole run, never a shard). */
export const lossFlatnessSummarySchema = lossFlatnessSchema
  .omit({
    hessianTopEigenvalue: true,
    hessianConverged: true,
  })
  .extend({ adversarialDirectionIncrease: z.number() });

/** Which shard of a run split by random directions; null (or absent, before shards) for a whole run. */
const shardSchema = z
  .object({ index: z.number().int().nonnegative(), count: z.number().int().positive() })
  .loose()
  .nullable()
  .optional();

/** One random direction's numbers (`m` and `curvature` are absent in results made before shards). */
const directionSchema = z
  .object({
    /** The direction's index: its seed is settings.seed·1000 + m + 1. */
    m: z.number().int().nonnegative().optional(),
    /** Increases at +ρ. */
    clean: z.number(),
    adversarial: numberOrNull,
    /** (L(θ + ρd) + L(θ − ρd) − 2L(θ))/ρ², whose mean over the directions is the curvature measure. */
    curvature: z.object({ clean: z.number(), adversarial: numberOrNull }).loose().optional(),
  })
  .loose();

export const flatnessSchema = z
  .object({
    schema: z.enum(FLATNESS_TAGS),
    settings: z
      .object({
        checkpoint: z.string(),
        data: z.string(),
        split: z.enum(['train', 'test']),
        subset: z.number().int().positive().nullable(),
        trainingSubset: trainingSubsetSchema,
        rho: z.number(),
        rhoAdversarial: z.number(),
        directions: z.number().int().positive(),
        attack: z.string(),
        hessian: z.boolean(),
        hessianBatches: z.number().int(),
        seed: z.number(),
      })
      .loose(),
    model: modelConfigSchema,
    shard: shardSchema,
    clean: lossFlatnessSchema,
    /** Null with `--attack none` (see notes). */
    adversarial: lossFlatnessSchema.nullable(),
    /**
     * Per random direction, in order of m (a shard's own directions only): increases at +ρ and
     * curvatures (clean, adversarial; null with `--attack none`).
     */
    perDirection: z.array(directionSchema),
    notes: notesSchema,
    provenance: provenanceSchema,
  })
  .loose();

export type FlatnessResult = Known<z.output<typeof flatnessSchema>>;
export type LossFlatness = Known<z.output<typeof lossFlatnessSchema>>;
export type DirectionFlatness = Known<z.output<typeof directionSchema>>;
