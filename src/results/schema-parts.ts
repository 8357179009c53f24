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
export const numberOrNull = z
  .number({ error: (issue) => `expected number or null, received ${kindOf(issue.input)}` })
  .nullable();

/** Rows of a table (values[i_beta][i_alpha]); null where a point is not computed. */
export const tableSchema = z.array(z.array(numberOrNull));

export const modelConfigSchema = z
  .object({
    arch: z.string().min(1),
    options: z.record(z.string(), z.unknown()),
    input: z
      .object({
        height: z.number().int().positive(),
        width: z.number().int().positive(),
        channels: z.number().int().positive(),
      })
      .loose(),
    classes: z.number().int().positive(),
    normalization: z
      .object({ mean: z.array(z.number()), std: z.array(z.number()) })
      .loose()
      .optional(),
  })
  .loose();

export const backendInfoSchema = z
  .object({
    name: z.enum(['node-gpu', 'node', 'wasm', 'cpu']),
    tfjsName: z.string(),
    simd: z.boolean().optional(),
    threads: z.number().optional(),
    fastGradients: z.boolean(),
    tfjsVersion: z.string(),
    onnxruntime: z.object({ version: z.string(), threads: z.number() }).loose().optional(),
    onnxruntimeOff: z.string().optional(),
  })
  .loose();

export const provenanceSchema = z
  .object({
    tool: z.literal('weightscape'),
    toolVersion: z.string(),
    createdAt: z.string(),
    backend: backendInfoSchema,
    seed: z.number(),
    wallSeconds: z.number(),
    checkpoint: z.object({ path: z.string(), sha256: z.string(), format: z.string() }).loose().optional(),
    data: z.object({ spec: z.string(), count: z.number().int().nonnegative() }).loose().optional(),
  })
  .loose();

export const lossAccuracySchema = z.object({ loss: z.number(), accuracy: z.number().min(0).max(1) }).loose();

/**
 * One AutoAttack member's share: its canonical attack, its seed, the examples it fooled, robust
 * accuracy after it. Every member of a batch b draws from seed·100003 + b, as upstream seeds every
 * member with the same seed.
 */
const memberOutcomeSchema = z
  .object({
    attack: z.string(),
    seed: z.number().int().nonnegative(),
    fooled: z.number().int().nonnegative(),
    robustAccuracy: z.number().min(0).max(1),
  })
  .loose();

export const splitMetricsSchema = z
  .object({
    count: z.number().int().nonnegative(),
    clean: lossAccuracySchema,
    robust: lossAccuracySchema.optional(),
    /**
     * APGD, Square and AutoAttack: one character per example, in order: 'x' misclassified clean,
     * '.' robust, '1'… the (1-based) attack or AutoAttack member that fooled it.
     */
    outcome: z.string().optional(),
    /** AutoAttack: each member in order, run on the examples still robust. */
    members: z.array(memberOutcomeSchema).optional(),
    /**
     * With APGD or AutoAttack: PGD-10 at the same norm and radius on the same examples, the
     * gradient-masking check (a PGD accuracy far above the stronger attack's is suspect).
     */
    pgdCheck: lossAccuracySchema.extend({ attack: z.string() }).optional(),
  })
  .loose();

export const notesSchema = z.array(z.string());

/**
 * The examples a run trained on (`train --subset <size>` drawn with its seed): a train split cut to
 * them first. Absent or null: the whole train split.
 */
export const trainingSubsetSchema = z
  .object({ size: z.number().int().positive(), seed: z.number() })
  .loose()
  .nullable()
  .optional();

/** The keys a type names, without its index signature. */
type NamedKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: 0 };

/**
 * A result type as the code uses it: what a loose schema infers, less the `[key: string]: unknown`
 * that `.loose()` adds to every object (a producer then cannot write a misspelt field). Objects
 * that name no key (records such as `options`) keep their index signature.
 */
export type Known<T> = T extends readonly unknown[]
  ? { [K in keyof T]: Known<T[K]> }
  : T extends object
    ? [NamedKeys<T>] extends [never]
      ? { [K in keyof T]: Known<T[K]> }
      : { [K in keyof T as string extends K ? never : number extends K ? never : K]: Known<T[K]> }
    : T;

export type ModelConfigFile = Known<z.output<typeof modelConfigSchema>>;
export type BackendInfoFile = Known<z.output<typeof backendInfoSchema>>;
export type Provenance = Known<z.output<typeof provenanceSchema>>;
export type LossAccuracy = Known<z.output<typeof lossAccuracySchema>>;
export type SplitMetrics = Known<z.output<typeof splitMetricsSchema>>;
export type Table = z.output<typeof tableSchema>;
