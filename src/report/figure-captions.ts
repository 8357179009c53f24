/**
 * The settings a figure's inputs record, in words, for its caption in index.html: which
 * checkpoint, direction, attack, data subset and seed produced it, so that a figure can be
 * reproduced from its caption.
 */
import type { CorrelationResult } from '../results/correlation-schema.ts';
import type { EvalResult } from '../results/eval-schema.ts';
import type { FlatnessResult } from '../results/flatness-schema.ts';
import type { HessianResult } from '../results/hessian-schema.ts';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import type { TrainLog } from '../results/train-log-schema.ts';

/** A checkpoint path shortened to its last two parts (`pgd-at/model.safetensors`): the run and the file. */
export function checkpointName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
}

/** `fashion-mnist test, subset 32` or `… whole split`. */
function dataText(data: string, split: string | null, subset: number | null): string {
  return `data ${data}${split === null ? '' : ` ${split}`}, ${subset === null ? 'whole split' : `subset ${subset}`}`;
}

/** A landscape's checkpoint, direction(s), loss, attack, data and seed. */
export function landscapeCaption(label: string, result: LandscapeResult): string {
  const s = result.settings;
  const directions = result.directions
    .map((d) => `${d.spec}${d.converged === false ? ' (not converged)' : ''}`)
    .join(' × ');
  return [
    `${label}: checkpoint ${checkpointName(s.checkpoint)}`,
    `direction ${directions}`,
    `attack ${s.attack}`,
    dataText(s.data, s.split, s.subset),
    `BatchNorm ${s.bn}`,
    `seed ${s.seed}`,
  ].join(', ');
}

/** An eval result's attack and data. */
export function evalCaption(label: string, result: EvalResult): string {
  return `${label}: attack ${result.attack}, ${dataText(result.data.spec, null, result.data.subset)}`;
}

/** A run's method, attack, data and seed from its log. */
export function runCaption(label: string, log: TrainLog): string {
  const c = log.config;
  const method = `${c.method}${c.awp ? ` + AWP (γ = ${c.awpGamma})` : ''}`;
  return `${label}: ${method}, attack ${c.attack}, ${dataText(c.data, 'train', c.subset)}, ${c.epochs} epochs, seed ${c.seed}`;
}

/** A flatness result's checkpoint, radii, directions, attack, data and seed. */
export function flatnessCaption(label: string, result: FlatnessResult): string {
  const s = result.settings;
  return [
    `${label}: checkpoint ${checkpointName(s.checkpoint)}`,
    `${s.directions} random directions at ρ = ${s.rho}, adversarial direction at ρ = ${s.rhoAdversarial}`,
    `attack ${s.attack}`,
    dataText(s.data, s.split, s.subset),
    `seed ${s.seed}`,
  ].join(', ');
}

/** A correlation's measures, sample and resampling. */
export function correlationCaption(label: string, result: CorrelationResult): string {
  const s = result.settings;
  return (
    `${label}: ${result.y} against ${result.x} over ${result.points.length} checkpoints, ` +
    `${s.resamples} bootstrap resamples, ${s.permutations} permutations, seed ${s.seed}`
  );
}

/** A Hessian result's checkpoint, loss, BatchNorm mode, data, examples and seed, for captions. */
export function hessianCaption(label: string, result: HessianResult): string {
  const s = result.settings;
  const subset = s.trainingSubset ? ` (training subset ${s.trainingSubset.size}, seed ${s.trainingSubset.seed})` : '';
  return [
    `${label}: checkpoint ${checkpointName(s.checkpoint)}`,
    s.loss === 'adversarial' ? `adversarial loss (attack ${s.attack ?? 'unrecorded'})` : 'clean loss',
    `BatchNorm ${s.bn}`,
    `data ${s.data}${subset}, ${s.examples} examples in batches of ${s.batchSize}`,
    `seed ${s.seed}`,
  ].join(', ');
}
