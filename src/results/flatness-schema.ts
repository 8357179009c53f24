/**
 * The schema of a flatness result: `weightscape.flatness/1`, and `/2` where the adversarial
 * measures may be null (`--attack none`) and each loss records whether its Hessian power iteration
 * converged. The type inferred here covers both; weightscape writes `/2`.
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
    /** At settings.rhoAdversarial. */
    adversarialDirectionIncrease: z.number(),
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

/** A loss's measures without the Hessian's: what a study keeps per checkpoint. */
export const lossFlatnessSummarySchema = lossFlatnessSchema.omit({
  hessianTopEigenvalue: true,
  hessianConverged: true,
});

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
    clean: lossFlatnessSchema,
    /** Null with `--attack none` (see notes). */
    adversarial: lossFlatnessSchema.nullable(),
    /** Per random direction: increases at +ρ (clean, adversarial; null with `--attack none`). */
    perDirection: z.array(z.object({ clean: z.number(), adversarial: numberOrNull }).loose()),
    notes: notesSchema,
    provenance: provenanceSchema,
  })
  .loose();

export type FlatnessResult = Known<z.output<typeof flatnessSchema>>;
export type LossFlatness = Known<z.output<typeof lossFlatnessSchema>>;
