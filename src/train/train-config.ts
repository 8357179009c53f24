/**
 * The trainer's configuration: one flat block of defaults, checked by one schema that rejects
 * unknown keys, recorded resolved in every run's log.
 */
import { attackWarnings, formatAttack, parseAttack, usualAttack } from '../attacks/attack-spec.ts';
import { parseDataSpec } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';

import { trainConfigSchema, type TrainConfig } from '../results/train-config-schema.ts';

export { trainConfigSchema, type TrainConfig };

/** `--save-epochs 10,20,30` as numbers (checked against --epochs by resolveTrainConfig). */
export function parseSaveEpochs(text: string): number[] {
  const epochs = text.split(',').map((part) => Number(part.trim()));
  if (epochs.some((e) => !Number.isSafeInteger(e) || e < 1))
    throw new WeightscapeError(
      'bad-argument',
      `--save-epochs: expected comma-separated positive integers (got '${text}')`,
    );
  return epochs;
}

/** The epoch count and the epochs to keep, checked with one-line errors that name the flags. */
function checkEpochSettings(partial: Partial<TrainConfig> & { epochs: number }): void {
  const { epochs, saveEvery, saveEpochs, init } = partial;
  if (!Number.isSafeInteger(epochs) || epochs < 1) {
    throw new WeightscapeError(
      'bad-argument',
      init
        ? `--epochs ${epochs} with --init: nothing would be trained (${init.path} is already that model); give --epochs 1 or more`
        : `--epochs: expected a positive integer (got ${epochs})`,
    );
  }
  if (saveEvery !== undefined && saveEvery !== null) {
    if (!Number.isSafeInteger(saveEvery) || saveEvery < 1)
      throw new WeightscapeError('bad-argument', `--save-every: expected a positive integer (got ${saveEvery})`);
    if (saveEvery > epochs)
      throw new WeightscapeError('bad-argument', `--save-every ${saveEvery}: more than --epochs ${epochs}`);
  }
  for (const epoch of saveEpochs ?? []) {
    if (!Number.isSafeInteger(epoch) || epoch < 1)
      throw new WeightscapeError('bad-argument', `--save-epochs: expected positive integers (got ${epoch})`);
    if (epoch > epochs)
      throw new WeightscapeError('bad-argument', `--save-epochs: epoch ${epoch} is past --epochs ${epochs}`);
  }
}

/** Whether `epoch` (1-based) is kept under epochs/ (--save-every, --save-epochs). */
export function savesEpoch(config: TrainConfig, epoch: number): boolean {
  return (config.saveEvery !== null && epoch % config.saveEvery === 0) || config.saveEpochs.includes(epoch);
}

/** Fills the defaults that depend on other settings, then checks everything. */
export function resolveTrainConfig(
  partial: Partial<TrainConfig> & { arch: string; data: string; epochs: number },
): TrainConfig {
  checkEpochSettings(partial);
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
    saveEvery: null,
    saveEpochs: [] as number[],
    init: null,
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
  // One spelling per set of epochs: resume compares the configuration's JSON.
  return { ...parsed.data, saveEpochs: [...new Set(parsed.data.saveEpochs)].sort((a, b) => a - b) };
}

/** Warnings about a valid but suspicious configuration (an L∞ eps ≥ 1 on [0, 1] images), each once. */
export function trainWarnings(config: TrainConfig): string[] {
  return [...new Set([config.attack, config.evalAttack].flatMap((a) => attackWarnings(parseAttack(a))))];
}

/**
 * The settings in which a saved configuration differs from `config`, after filling the defaults of
 * settings added since it was saved (so that older runs still resume); all of them if it is unreadable.
 */
export function configDifferences(savedJson: string, config: TrainConfig): string[] {
  let saved: Record<string, unknown>;
  try {
    saved = trainConfigSchema.parse(JSON.parse(savedJson)) as Record<string, unknown>;
  } catch {
    return Object.keys(config);
  }
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(config)])];
  return keys.filter((key) => JSON.stringify(saved[key]) !== JSON.stringify((config as Record<string, unknown>)[key]));
}
