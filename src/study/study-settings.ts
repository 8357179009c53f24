/**
 * A study's settings: what every per-checkpoint piece is measured with. Resolved once from the
 * user's options (defaults filled, ranges checked) and recorded in the result; each piece's cache
 * key hashes the settings it depends on, so a changed setting recomputes exactly what it changes.
 */
import { createHash } from 'node:crypto';
import { formatAttack, usualAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import type { DataSpec, Split } from '../data/dataset.ts';
import { WeightscapeError } from '../errors.ts';
import type { StudyResult } from '../results/study-schema.ts';
import { MAX_RESAMPLES } from '../stats/correlate-results.ts';

export type StudySettings = StudyResult['settings'];

/** The flatness measures correlated with the gap by default: paths in a flatness result. */
export const DEFAULT_MEASURES = [
  'adversarial.adversarialDirectionIncrease',
  'adversarial.averageIncrease',
  'adversarial.maxIncrease',
  'adversarial.curvature',
  'clean.averageIncrease',
  'clean.adversarialDirectionIncrease',
] as const;

export const GAP_METRIC = 'gap.accuracy';

export interface StudyOptions {
  data: DataSpec;
  attack?: AttackSpec;
  subset?: number | null;
  landscapeSplit?: Split;
  landscapeSubset?: number | null;
  directions?: number;
  rho?: number;
  rhoAdversarial?: number;
  /** Points per 1D curve (odd, so that α = 0 is on the grid). */
  points?: number;
  batchSize?: number;
  seed?: number;
  measures?: string[];
  resamples?: number;
  permutations?: number;
}

/** n points from −2r to 2r: ±r (the flatness radius) and 0 are on the grid when n ≡ 1 (mod 4). */
function symmetricGrid(radius: number, points: number): number[] {
  return Array.from({ length: points }, (_, i) =>
    Number((-2 * radius + (4 * radius * i) / (points - 1)).toPrecision(12)),
  );
}

function check(ok: boolean, flag: string, message: string): void {
  if (!ok) throw new WeightscapeError('bad-argument', `study: ${flag} ${message}`);
}

const positiveInteger = (v: number | null | undefined) =>
  v === null || v === undefined || (Number.isInteger(v) && v > 0);

/** Fills the defaults and checks every setting, before any work. */
export function resolveStudySettings(options: StudyOptions): StudySettings {
  const attack = options.attack ?? usualAttack(options.data.kind, 10);
  check(attack.kind !== 'none', '--attack', 'none: the robust generalization gap needs an attack');
  const directions = options.directions ?? 3;
  const points = options.points ?? 9;
  const rho = options.rho ?? 0.5;
  const rhoAdversarial = options.rhoAdversarial ?? 0.05;
  check(
    Number.isInteger(directions) && directions >= 1 && directions <= 100,
    '--directions',
    `must be 1–100 (got ${directions})`,
  );
  check(
    Number.isInteger(points) && points >= 5 && points <= 101 && points % 2 === 1,
    '--points',
    `must be odd, 5–101 (got ${points})`,
  );
  for (const [flag, value] of [
    ['--rho', rho],
    ['--rho-adversarial', rhoAdversarial],
  ] as const)
    check(Number.isFinite(value) && value > 0 && value <= 100, flag, `must be in (0, 100] (got ${value})`);
  for (const [flag, value] of [
    ['--subset', options.subset],
    ['--landscape-subset', options.landscapeSubset],
    ['--batch-size', options.batchSize],
  ] as const)
    check(positiveInteger(value), flag, `must be a positive integer (got ${value})`);
  const resamples = options.resamples ?? 2000;
  const permutations = options.permutations ?? 10_000;
  for (const [flag, value] of [
    ['--resamples', resamples],
    ['--permutations', permutations],
  ] as const)
    check(
      Number.isInteger(value) && value >= 100 && value <= MAX_RESAMPLES,
      flag,
      `must be an integer in 100–${MAX_RESAMPLES} (got ${value})`,
    );
  const measures = options.measures ?? [...DEFAULT_MEASURES];
  check(measures.length > 0, '--measures', 'needs at least one flatness measure');
  for (const measure of measures)
    check(
      /^(clean|adversarial)\.[A-Za-z]+$/.test(measure),
      '--measures',
      `'${measure}' is not a flatness measure path (e.g. adversarial.averageIncrease)`,
    );
  return {
    data: options.data.text,
    attack: formatAttack(attack),
    subset: options.subset === undefined ? 1000 : options.subset,
    landscapeSplit: options.landscapeSplit ?? 'train',
    landscapeSubset: options.landscapeSubset === undefined ? 500 : options.landscapeSubset,
    directions,
    rho,
    rhoAdversarial,
    alphas: symmetricGrid(rho, points),
    adversarialAlphas: symmetricGrid(rhoAdversarial, points),
    batchSize: options.batchSize ?? 250,
    seed: options.seed ?? 0,
    gap: GAP_METRIC,
    measures,
    resamples,
    permutations,
  };
}

/** The random directions' seeds: the flatness measures' m-th direction is the m-th curve's. */
export function directionSeed(settings: StudySettings, m: number): number {
  return settings.seed * 1000 + m + 1;
}

/** A piece's cache key: the checkpoint and the settings the piece depends on. */
export function pieceKey(sha256: string, piece: string, dependsOn: unknown): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([sha256, piece, dependsOn]))
    .digest('hex');
  return `${piece}-${hash.slice(0, 12)}`;
}
