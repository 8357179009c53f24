/**
 * The schema of a landscape result (`weightscape.landscape/1`), with its tables checked against its
 * grid, and the types inferred from it.
 */
import { z } from 'zod';
import {
  backendInfoSchema,
  modelConfigSchema,
  notesSchema,
  provenanceSchema,
  tableSchema,
  type Known,
  trainingSubsetSchema,
} from './schema-parts.ts';

export const LANDSCAPE_SCHEMA = 'weightscape.landscape/1';

const flatness1dSchema = z
  .object({
    /** L(0) (the grid contains α = 0 exactly). */
    atZero: z.number(),
    rho: z.number(),
    increasePlus: z.number(),
    increaseMinus: z.number(),
    increaseMax: z.number(),
    /** Second derivative of the fitted quadratic, loss per α². */
    curvature: z.number(),
    fitPoints: z.number().int(),
  })
  .loose();

const directionInfoSchema = z
  .object({
    spec: z.string(),
    normalization: z.enum(['filter', 'layer', 'none']),
    includeBn: z.boolean(),
    seed: z.number(),
    /** hessian: the top eigenvalue, its iteration count (Lanczos; power iteration before) and whether it converged. */
    eigenvalue: z.number().optional(),
    /** hessian: ‖Hv − λv‖/|λ| (absent in landscapes made with the finite-difference power iteration). */
    residual: z.number().optional(),
    iterations: z.number().optional(),
    converged: z.boolean().optional(),
  })
  .loose();

/** Everything that decides the numbers (shards and resumes must agree on it). */
const settingsSchema = z
  .object({
    checkpoint: z.string(),
    data: z.string(),
    split: z.enum(['train', 'test']),
    subset: z.number().int().positive().nullable(),
    trainingSubset: trainingSubsetSchema,
    batchSize: z.number().int().positive(),
    loss: z.enum(['clean', 'adversarial']),
    attack: z.string(),
    fixedExamples: z.boolean(),
    bn: z.enum(['eval', 'recalibrate']),
    recalibrationBatches: z.number().int(),
    directions: z.array(z.string()).min(1),
    includeBn: z.boolean(),
    alphas: z.array(z.number()).min(1),
    betas: z.array(z.number()).min(1).nullable(),
    seed: z.number(),
  })
  .loose();

/**
 * The identity of a sweep beyond its settings: what the files named in the settings held, the
 * resolved model configuration, and the settings fixed in code.
 */
const identitySchema = z
  .object({
    checkpointSha256: z.string(),
    /** The resolved configuration: architecture, options, input, classes, normalization (mean/std). */
    model: modelConfigSchema,
    /** The evaluated examples: spec, split, subset, seed, count and the SHA-256 of images and labels. */
    data: z
      .object({
        spec: z.string(),
        split: z.enum(['train', 'test']),
        subset: z.number().int().positive().nullable(),
        seed: z.number(),
        count: z.number().int().nonnegative(),
        sha256: z.string(),
      })
      .loose(),
    /** SHA-256 of each interpolate:/file: direction's file, by spec. */
    directionFiles: z.record(z.string(), z.string()),
    /** The attack making the examples of adversarial and hessian directions; null when none uses data. */
    directionAttack: z.string().nullable(),
    /** The adversarial direction's AWP settings; null when not used. */
    awp: z.object({ gamma: z.number(), steps: z.number().int(), batches: z.number().int() }).loose().nullable(),
    /**
     * The hessian direction's eigensolver; null when not used. Lanczos on exact products records
     * method and product; older landscapes, a power iteration on finite differences, relativeStep.
     */
    hessian: z
      .object({
        method: z.literal('lanczos').optional(),
        product: z.literal('exact').optional(),
        maxIterations: z.number().int(),
        tolerance: z.number(),
        relativeStep: z.number().optional(),
        batches: z.number().int(),
      })
      .loose()
      .nullable(),
  })
  .loose();

/** `--workers`: how many, and the engine they ran (the main thread's, one thread each). */
const workersSchema = z.object({ count: z.number().int().positive(), backend: backendInfoSchema }).loose();

const TABLES = ['cleanLoss', 'cleanAccuracy', 'robustLoss', 'robustAccuracy'] as const;

export const landscapeSchema = z
  .object({
    schema: z.literal(LANDSCAPE_SCHEMA),
    settings: settingsSchema,
    /** Absent in results made before it was recorded; those can be read but not resumed or merged. */
    identity: identitySchema.optional(),
    model: modelConfigSchema,
    directions: z.array(directionInfoSchema).min(1),
    grid: z
      .object({ alphas: z.array(z.number()).min(1), betas: z.array(z.number()).min(1).nullable(), layout: z.string() })
      .loose(),
    /** Each table is values[i_beta][i_alpha]; null where a point is not computed (yet). */
    values: z
      .object({
        cleanLoss: tableSchema,
        cleanAccuracy: tableSchema,
        robustLoss: tableSchema.nullable(),
        robustAccuracy: tableSchema.nullable(),
      })
      .loose(),
    shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).loose().nullable(),
    complete: z.boolean(),
    /**
     * 1D sweeps only, once complete: from the clean and (if measured) the adversarial curve; null
     * (with a note) when the grid lacks α = 0, points on both sides of it, or 3 points.
     */
    flatness: z.object({ clean: flatness1dSchema, adversarial: flatness1dSchema.nullable() }).loose().nullable(),
    notes: notesSchema,
    provenance: provenanceSchema,
    workers: workersSchema.optional(),
  })
  .loose()
  .superRefine((r, ctx) => {
    // Every table is betas × alphas, and a complete sweep has no missing point.
    const rows = r.grid.betas?.length ?? 1;
    const cols = r.grid.alphas.length;
    for (const name of TABLES) {
      const table = r.values[name];
      if (table === null) continue;
      if (table.length !== rows) {
        ctx.addIssue({
          code: 'custom',
          path: ['values', name],
          message: `expected ${rows} row${rows === 1 ? '' : 's'} (one per β), found ${table.length}`,
        });
        return;
      }
      for (let i = 0; i < rows; i++) {
        const row = table[i]!;
        if (row.length !== cols) {
          ctx.addIssue({
            code: 'custom',
            path: ['values', name, i],
            message: `expected ${cols} values (one per α), found ${row.length}`,
          });
          return;
        }
        const missing = row.indexOf(null);
        if (r.complete && missing >= 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['values', name, i, missing],
            message: 'null in a result marked complete',
          });
          return;
        }
      }
    }
  });

export type LandscapeResult = Known<z.output<typeof landscapeSchema>>;
export type LandscapeSettings = Known<z.output<typeof settingsSchema>>;
export type SweepIdentity = Known<z.output<typeof identitySchema>>;
export type DirectionInfo = Known<z.output<typeof directionInfoSchema>>;
export type Flatness1D = Known<z.output<typeof flatness1dSchema>>;
export type WorkersInfo = Known<z.output<typeof workersSchema>>;
