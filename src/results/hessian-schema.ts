/**
 * The schema of a Hessian result (`weightscape.hessian/1`, `weightscape hessian`): exact top
 * eigenvalues by Lanczos, with each value's residual and whether it converged; Hutchinson's trace
 * with its standard error; the spectral density by stochastic Lanczos quadrature; and the same per
 * weight tensor (its Hessian block). A value with converged = false is an estimate: every reader
 * shows it as "<value> (not converged)", never as a plain number.
 */
import { z } from 'zod';
import { modelConfigSchema, notesSchema, provenanceSchema, trainingSubsetSchema, type Known } from './schema-parts.ts';

export const HESSIAN_SCHEMA = 'weightscape.hessian/1';

const count = z.number().int().nonnegative();
const positiveCount = z.number().int().positive();

/** Hutchinson's estimate of a trace: the mean of vᵀHv over Rademacher probes, and its standard error. */
const traceSchema = z
  .object({ estimate: z.number(), standardError: z.number().nonnegative(), probes: positiveCount })
  .loose();

const settingsSchema = z
  .object({
    checkpoint: z.string(),
    data: z.string(),
    examples: positiveCount,
    batchSize: positiveCount,
    trainingSubset: trainingSubsetSchema,
    loss: z.enum(['clean', 'adversarial']),
    /** The canonical attack string when the loss is adversarial, else null. */
    attack: z.string().nullable(),
    bn: z.enum(['eval', 'train']),
    topK: positiveCount,
    /** Relative residual ‖Hv − λv‖/|λ| at which an eigenvalue counts as converged. */
    tolerance: z.number().positive(),
    maxIterations: positiveCount,
    seed: z.number(),
    trace: z.object({ probes: positiveCount }).loose().nullable(),
    density: z
      .object({ runs: positiveCount, steps: positiveCount, sigma: z.number().positive(), points: positiveCount })
      .loose()
      .nullable(),
    perLayer: z.boolean(),
  })
  .loose();

const eigenvalueSchema = z
  .object({
    /** 1 for the largest (algebraic) eigenvalue. */
    index: count,
    value: z.number(),
    /** ‖Hv − λv‖/|λ| for the returned unit vector v. */
    /** null when λ = 0 and Hv ≠ 0 (a relative residual is undefined there; such a value is not converged). */
    residual: z.number().nonnegative().nullable(),
    converged: z.boolean(),
  })
  .loose();

const densitySchema = z
  .object({
    /** Eigenvalue grid and the smoothed density there (per unit eigenvalue, integrates to ≈ 1). */
    grid: z.array(z.number()),
    density: z.array(z.number().nonnegative()),
    /** Raw quadrature per run: Ritz values and weights (the weights of a run sum to 1). */
    runs: z.array(z.object({ nodes: z.array(z.number()), weights: z.array(z.number().nonnegative()) }).loose()),
    /** Standard deviation of the Gaussian each node is smoothed with. */
    sigma: z.number().positive(),
  })
  .loose();

const layerSchema = z
  .object({
    /** The weight tensor (its Hessian block: the other tensors held fixed). */
    name: z.string(),
    parameters: positiveCount,
    topEigenvalue: z
      .object({
        value: z.number(),
        residual: z.number().nonnegative().nullable(),
        converged: z.boolean(),
        iterations: count,
      })
      .loose(),
    trace: traceSchema.nullable(),
  })
  .loose();

export const hessianSchema = z
  .object({
    schema: z.literal(HESSIAN_SCHEMA),
    provenance: provenanceSchema,
    model: modelConfigSchema,
    settings: settingsSchema,
    /** Lanczos top-k, largest algebraic first. */
    eigenvalues: z.array(eigenvalueSchema),
    lanczos: z.object({ iterations: count, hessianVectorProducts: count }).loose(),
    /** Null without --trace. */
    trace: traceSchema.nullable(),
    /** Null without --density. */
    density: densitySchema.nullable(),
    /** Null without --per-layer. */
    perLayer: z.array(layerSchema).nullable(),
    notes: notesSchema,
  })
  .loose()
  .superRefine((r, ctx) => {
    // A density whose arrays do not pair up would be plotted wrong, not refused: refuse it here.
    const d = r.density;
    if (d === null) return;
    if (d.density.length !== d.grid.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['density', 'density'],
        message: `expected ${d.grid.length} values (one per grid point), found ${d.density.length}`,
      });
      return;
    }
    d.runs.forEach((run, i) => {
      if (run.weights.length !== run.nodes.length)
        ctx.addIssue({
          code: 'custom',
          path: ['density', 'runs', i, 'weights'],
          message: `expected ${run.nodes.length} weights (one per node), found ${run.weights.length}`,
        });
    });
  });

export type HessianResult = Known<z.output<typeof hessianSchema>>;
export type HessianEigenvalue = Known<z.output<typeof eigenvalueSchema>>;
export type HessianLayer = Known<z.output<typeof layerSchema>>;
export type HessianTrace = Known<z.output<typeof traceSchema>>;
export type HessianDensity = Known<z.output<typeof densitySchema>>;
