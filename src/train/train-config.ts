/**
 * The trainer's configuration: one flat block of defaults, checked by one schema that rejects
 * unknown keys, recorded resolved in every run's log.
 */
import { attackWarnings, formatAttack, parseAttack, usualAttack } from '../attacks/attack-spec.ts';
import { parseDataSpec } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';

import { trainConfigSchema, type TrainConfig } from '../results/train-config-schema.ts';

export { trainConfigSchema, type TrainConfig };

/** Fills the defaults that depend on other settings, then checks everything. */
export function resolveTrainConfig(
  partial: Partial<TrainConfig> & { arch: string; data: string; epochs: number },
): TrainConfig {
  const method = partial.method ?? 'pgd-at';
  const attack =
    partial.attack ??
    (method === 'standard' ? 'none' : formatAttack(usualAttack(parseDataSpec(partial.data).kind, 10)));
  const epochs = partial.epochs;
  const config = {
    archOptions: {},
    subset: null,
    method,
    attack,
    beta: 6,
    awp: false,
    awpGamma: method === 'trades' ? 0.005 : 0.01,
    awpWarmup: 0,
    awpSteps: 1,
    batchSize: 128,
    lr: 0.1,
    momentum: 0.9,
    weightDecay: 5e-4,
    // robust_overfitting's piecewise schedule: ÷10 at half and at three quarters of training.
    schedule: `piecewise:${Math.max(1, Math.floor(epochs / 2))},${Math.max(1, Math.floor((3 * epochs) / 4))}`,
    lrDecay: 0.1,
    evalSubset: 1000,
    evalAttack: attack,
    seed: 0,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  const parsed = trainConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new WeightscapeError(
      'bad-argument',
      `training configuration: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ')}`,
    );
  }
  parseAttack(parsed.data.attack);
  parseAttack(parsed.data.evalAttack);
  return parsed.data;
}

/** Warnings about a valid but suspicious configuration (an L∞ eps ≥ 1 on [0, 1] images), each once. */
export function trainWarnings(config: TrainConfig): string[] {
  return [...new Set([config.attack, config.evalAttack].flatMap((a) => attackWarnings(parseAttack(a))))];
}
