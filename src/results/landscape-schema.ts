/** The schema of a landscape result (`weightscape.landscape/1`), with its tables checked against its grid. */
import { z } from 'zod';
import type { LANDSCAPE_SCHEMA, LandscapeResult } from '../landscape/sample-landscape.ts';
import { backendInfoSchema, modelConfigSchema, notesSchema, provenanceSchema, tableSchema, type Assignable } from './schema-parts.ts';

export const LANDSCAPE_TAG = 'weightscape.landscape/1';

const flatness1dSchema = z.object({
  atZero: z.number(), rho: z.number(), increasePlus: z.number(), increaseMinus: z.number(), increaseMax: z.number(), curvature: z.number(), fitPoints: z.number().int(),
}).loose();

const directionInfoSchema = z.object({
  spec: z.string(),
  normalization: z.enum(['filter', 'layer', 'none']),
  includeBn: z.boolean(),
  seed: z.number(),
  eigenvalue: z.number().optional(),
  iterations: z.number().optional(),
  converged: z.boolean().optional(),
}).loose();

const settingsSchema = z.object({
  checkpoint: z.string(), data: z.string(), split: z.enum(['train', 'test']), subset: z.number().int().positive().nullable(), batchSize: z.number().int().positive(),
  loss: z.enum(['clean', 'adversarial']), attack: z.string(), fixedExamples: z.boolean(), bn: z.enum(['eval', 'recalibrate']), recalibrationBatches: z.number().int(),
  directions: z.array(z.string()).min(1), includeBn: z.boolean(), alphas: z.array(z.number()).min(1), betas: z.array(z.number()).min(1).nullable(), seed: z.number(),
}).loose();

const identitySchema = z.object({
  checkpointSha256: z.string(),
  model: modelConfigSchema,
  data: z.object({ spec: z.string(), split: z.enum(['train', 'test']), subset: z.number().int().positive().nullable(), seed: z.number(), count: z.number().int().nonnegative(), sha256: z.string() }).loose(),
  directionFiles: z.record(z.string(), z.string()),
  directionAttack: z.string().nullable(),
  awp: z.object({ gamma: z.number(), steps: z.number().int(), batches: z.number().int() }).loose().nullable(),
  hessian: z.object({ maxIterations: z.number().int(), tolerance: z.number(), relativeStep: z.number(), batches: z.number().int() }).loose().nullable(),
}).loose();

const TABLES = ['cleanLoss', 'cleanAccuracy', 'robustLoss', 'robustAccuracy'] as const;

export const landscapeSchema = z.object({
  schema: z.literal(LANDSCAPE_TAG),
  settings: settingsSchema,
  identity: identitySchema.optional(),
  model: modelConfigSchema,
  directions: z.array(directionInfoSchema).min(1),
  grid: z.object({ alphas: z.array(z.number()).min(1), betas: z.array(z.number()).min(1).nullable(), layout: z.string() }).loose(),
  values: z.object({ cleanLoss: tableSchema, cleanAccuracy: tableSchema, robustLoss: tableSchema.nullable(), robustAccuracy: tableSchema.nullable() }).loose(),
  shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).loose().nullable(),
  complete: z.boolean(),
  flatness: z.object({ clean: flatness1dSchema, adversarial: flatness1dSchema.nullable() }).loose().nullable(),
  notes: notesSchema,
  provenance: provenanceSchema,
  workers: z.object({ count: z.number().int().positive(), backend: backendInfoSchema }).loose().optional(),
}).loose().superRefine((r, ctx) => {
  // Every table is betas × alphas, and a complete sweep has no missing point.
  const rows = r.grid.betas?.length ?? 1;
  const cols = r.grid.alphas.length;
  for (const name of TABLES) {
    const table = r.values[name];
    if (table === null) continue;
    if (table.length !== rows) {
      ctx.addIssue({ code: 'custom', path: ['values', name], message: `expected ${rows} row${rows === 1 ? '' : 's'} (one per β), found ${table.length}` });
      return;
    }
    for (let i = 0; i < rows; i++) {
      const row = table[i]!;
      if (row.length !== cols) {
        ctx.addIssue({ code: 'custom', path: ['values', name, i], message: `expected ${cols} values (one per α), found ${row.length}` });
        return;
      }
      const missing = row.indexOf(null);
      if (r.complete && missing >= 0) {
        ctx.addIssue({ code: 'custom', path: ['values', name, i, missing], message: 'null in a result marked complete' });
        return;
      }
    }
  }
});

type Parsed = z.infer<typeof landscapeSchema>;
export const landscapeTypeMatches: Assignable<Parsed, LandscapeResult> = true;
export const landscapeTagMatches: Assignable<typeof LANDSCAPE_TAG, typeof LANDSCAPE_SCHEMA> = true;
