/**
 * What a sweep opens and resolves before computing anything: the checkpoint for its data, the
 * model, the attacks and the directions, and the sweep's identity. Callers pass the attack, the
 * data and the directions parsed; results record their canonical strings.
 */
import { formatAttack, usualAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import type { LoadedCheckpoint } from '../checkpoints/load-checkpoint.ts';
import type { ModelConfigRequest } from '../checkpoints/model-config.ts';
import type { DataSpec, LabeledImages } from '../data/dataset.ts';
import { formatDirection, type DirectionSpec } from '../directions/direction-spec.ts';
import { WeightscapeError } from '../errors.ts';
import { openEvaluation } from '../eval/open-evaluation.ts';
import type { ModelConfig, ModelWeights } from '../models/types.ts';
import type { LandscapeResult, LandscapeSettings } from '../results/landscape-schema.ts';
import { checkSameSweep, sweepIdentity, type SweepIdentity } from './sweep-identity.ts';

/** A sweep's settings as a caller gives them: the recorded settings with the specs parsed. */
export type SweepSettings = Omit<LandscapeSettings, 'data' | 'attack' | 'directions'> & {
  data: DataSpec;
  attack: AttackSpec;
  directions: DirectionSpec[];
};

/** The settings as the result records them: each spec as its canonical string (key order kept). */
export function recordedSettings(settings: SweepSettings): LandscapeSettings {
  return {
    ...settings,
    data: settings.data.text,
    attack: formatAttack(settings.attack),
    directions: settings.directions.map(formatDirection),
  };
}

/** What a sweep opens and resolves before computing anything: enough to know its identity. */
export interface PreparedSweep {
  checkpoint: LoadedCheckpoint;
  data: LabeledImages;
  config: ModelConfig;
  weights: ModelWeights;
  /** The opening's notes (checkpoint, detection, weight mapping); the sweep adds its own. */
  notes: string[];
  /** The settings as recorded (canonical strings). */
  recorded: LandscapeSettings;
  directionAttack: AttackSpec;
  identity: SweepIdentity;
  /** Disposes the weights. */
  dispose: () => void;
}

export interface PrepareRequest {
  settings: SweepSettings;
  model: ModelConfigRequest;
  /** A partial result of the same sweep to continue. */
  resumeFrom?: LandscapeResult;
  /** The resumed file (named in a refusal). */
  out?: string;
}

function checkDirections(settings: SweepSettings): void {
  const { directions, betas } = settings;
  if (directions.length < 1 || directions.length > 2 || (directions.length === 2) !== (betas !== null)) {
    throw new WeightscapeError(
      'bad-argument',
      'sample: give one direction with --range, or two with --range and --range2',
    );
  }
}

/**
 * Opens the checkpoint for the data, resolves the model and computes the sweep's identity; with
 * resumeFrom, refuses (before anything is built or written) a file of another sweep, comparing
 * spec strings in canonical form. The caller disposes the result.
 */
export function prepareSweep(request: PrepareRequest): PreparedSweep {
  const { settings } = request;
  checkDirections(settings);
  const recorded = recordedSettings(settings);
  const opened = openEvaluation({ ...settings, splits: [settings.split], model: request.model });
  try {
    const { checkpoint, config } = opened;
    const data = opened.data[0]!;
    if (settings.loss === 'adversarial' && settings.attack.kind === 'none')
      throw new WeightscapeError('bad-argument', '--loss adversarial needs an --attack');
    const directionAttack = settings.attack.kind === 'none' ? usualAttack(settings.data.kind, 10) : settings.attack;
    const identity = sweepIdentity({
      checkpointSha256: checkpoint.sha256,
      config,
      data,
      split: settings.split,
      subset: settings.subset,
      seed: settings.seed,
      batchSize: settings.batchSize,
      directions: settings.directions,
      directionAttack,
    });
    if (request.resumeFrom !== undefined) {
      checkSameSweep(
        request.out ?? 'the resumed result',
        request.resumeFrom,
        { settings: recorded, identity },
        'this run (--resume)',
      );
    }
    return { ...opened, data, recorded, directionAttack, identity };
  } catch (error) {
    opened.dispose();
    throw error;
  }
}
