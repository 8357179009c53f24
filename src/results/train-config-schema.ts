/**
 * The trainer's configuration: one flat block, checked by one schema that rejects unknown keys,
 * recorded resolved in every run's log (where a reader accepts the keys of a newer trainer).
 */
import { z } from 'zod';

export const trainConfigSchema = z
  .object({
    arch: z.string(), // mlp | convnet | preact-resnet18 | wide-resnet | resnet
    archOptions: z.record(z.string(), z.unknown()), // e.g. { width: 32 }
    data: z.string(), // a data spec (see --data)
    classes: z.number().int().min(2).optional(), // --classes; default: the data's (modelClasses)
    subset: z.number().int().positive().nullable(), // stratified training subset (null: all)
    method: z.enum(['standard', 'pgd-at', 'trades', 'mart']),
    attack: z.string(), // training attack; default: PGD-10 L∞ at the data's usual eps
    beta: z.number().nonnegative(), // TRADES / MART robust-term weight
    awp: z.boolean(),
    awpGamma: z.number().nonnegative(), // default 0.01 (pgd-at, mart), 0.005 (trades)
    awpWarmup: z.number().int().nonnegative(), // epochs without AWP first
    awpSteps: z.number().int().positive(), // ascent steps inside the bound
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    lr: z.number().positive(),
    momentum: z.number().min(0).max(1),
    weightDecay: z.number().nonnegative(),
    schedule: z.string(), // constant | cosine | piecewise:<epoch>,<epoch>
    lrDecay: z.number().positive(), // factor at each piecewise milestone
    evalSubset: z.number().int().positive(), // fixed stratified subsets for per-epoch metrics
    evalAttack: z.string(), // default: the training attack (PGD for TRADES/MART too)
    seed: z.number().int().nonnegative(),
    // Defaults, not requirements: logs and run states written before these settings existed still read.
    saveEvery: z.number().int().positive().nullable().default(null), // keep epochs/epoch-NNN every N epochs
    saveEpochs: z.array(z.number().int().positive()).default([]), // and at these epochs
    // --init: the checkpoint the run starts from (weights and BatchNorm statistics; fresh optimizer).
    init: z.object({ path: z.string(), sha256: z.string() }).strict().nullable().default(null),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;
