/**
 * The schema of a flatness result: `weightscape.flatness/1`, and `/2` where the adversarial
 * measures may be null (`--attack none`) and each loss records whether its Hessian power iteration
 * converged. Readers use the type inferred here, which covers both.
 */
import { z } from 'zod';
import { modelConfigSchema, notesSchema, numberOrNull, provenanceSchema } from './schema-parts.ts';

export const FLATNESS_TAGS = ['weightscape.flatness/1', 'weightscape.flatness/2'] as const;

const lossFlatnessSchema = z.object({
  atTheta: z.number(),
  averageIncrease: z.number(),
  maxIncrease: z.number(),
  adversarialDirectionIncrease: z.number(),
  curvature: z.number(),
  hessianTopEigenvalue: numberOrNull,
  /** false: power iteration stopped before converging, so the eigenvalue is an estimate. */
  hessianConverged: z.boolean().nullable().optional(),
}).loose();

export const flatnessSchema = z.object({
  schema: z.enum(FLATNESS_TAGS),
  settings: z.object({
    checkpoint: z.string(), data: z.string(), split: z.enum(['train', 'test']), subset: z.number().int().positive().nullable(), rho: z.number(), rhoAdversarial: z.number(),
    directions: z.number().int().positive(), attack: z.string(), hessian: z.boolean(), hessianBatches: z.number().int(), seed: z.number(),
  }).loose(),
  model: modelConfigSchema,
  clean: lossFlatnessSchema,
  adversarial: lossFlatnessSchema.nullable(),
  perDirection: z.array(z.object({ clean: z.number(), adversarial: numberOrNull }).loose()),
  notes: notesSchema,
  provenance: provenanceSchema,
}).loose();

export type FlatnessFile = z.infer<typeof flatnessSchema>;
export type LossFlatnessFile = z.infer<typeof lossFlatnessSchema>;
