/**
 * Zod schemas of the parts several result kinds share (model configuration, provenance, metrics).
 * Objects accept unknown extra keys (`.loose()`): a newer weightscape may record more, and a
 * reader only relies on the fields it names.
 */
import { z } from 'zod';

/** What a JSON value is, in the words an error message uses. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

/** A finite number, or null (JSON writes NaN as null: a value not measured or undefined). */
export const numberOrNull = z.number({ error: (issue) => `expected number or null, received ${kindOf(issue.input)}` }).nullable();

/** Rows of a table (values[i_beta][i_alpha]); null where a point is not computed. */
export const tableSchema = z.array(z.array(numberOrNull));

export const modelConfigSchema = z.object({
  arch: z.string().min(1),
  options: z.record(z.string(), z.unknown()),
  input: z.object({ height: z.number().int().positive(), width: z.number().int().positive(), channels: z.number().int().positive() }).loose(),
  classes: z.number().int().positive(),
  normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }).loose().optional(),
}).loose();

export const backendInfoSchema = z.object({
  name: z.enum(['node-gpu', 'node', 'wasm', 'cpu']),
  tfjsName: z.string(),
  simd: z.boolean().optional(),
  threads: z.number().optional(),
  fastGradients: z.boolean(),
  tfjsVersion: z.string(),
  onnxruntime: z.object({ version: z.string(), threads: z.number() }).loose().optional(),
  onnxruntimeOff: z.string().optional(),
}).loose();

export const provenanceSchema = z.object({
  tool: z.literal('weightscape'),
  toolVersion: z.string(),
  createdAt: z.string(),
  backend: backendInfoSchema,
  seed: z.number(),
  wallSeconds: z.number(),
  checkpoint: z.object({ path: z.string(), sha256: z.string(), format: z.string() }).loose().optional(),
  data: z.object({ spec: z.string(), count: z.number().int().nonnegative() }).loose().optional(),
}).loose();

export const lossAccuracySchema = z.object({ loss: z.number(), accuracy: z.number().min(0).max(1) }).loose();

export const splitMetricsSchema = z.object({
  count: z.number().int().nonnegative(),
  clean: lossAccuracySchema,
  robust: lossAccuracySchema.optional(),
}).loose();

export const notesSchema = z.array(z.string());

/** Compile-time check that a schema's type is assignable to the interface the code uses. */
export type Assignable<From extends To, To> = From extends To ? true : never;
