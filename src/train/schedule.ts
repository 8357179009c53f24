/**
 * Learning-rate schedules as pure functions of training progress.
 * piecewise:<e1>,<e2>,…  lr·decay^(milestones ≤ epoch), as PyTorch's MultiStepLR;
 * cosine                 lr·(1 + cos(π·t/T))/2 with t = epoch + fraction of the epoch done;
 * constant.
 */
import { WeightscapeError } from '../errors.ts';

export type Schedule =
  { kind: 'constant' } | { kind: 'piecewise'; milestones: number[]; decay: number } | { kind: 'cosine' };

export function parseSchedule(text: string, decay: number): Schedule {
  if (text === 'constant') return { kind: 'constant' };
  if (text === 'cosine') return { kind: 'cosine' };
  if (text.startsWith('piecewise:')) {
    const milestones = text.slice('piecewise:'.length).split(',').map(Number);
    if (milestones.some((m) => !Number.isInteger(m) || m < 1))
      throw new WeightscapeError('bad-argument', `--schedule ${text}: milestones must be positive epoch numbers`);
    return { kind: 'piecewise', milestones: milestones.sort((a, b) => a - b), decay };
  }
  throw new WeightscapeError(
    'bad-argument',
    `--schedule ${text}: expected constant, cosine or piecewise:<epoch>,<epoch>…`,
  );
}

/** The learning rate for a batch: `epoch` counts from 0, `fraction` ∈ [0, 1) of it is done. */
export function learningRate(
  schedule: Schedule,
  baseLr: number,
  epoch: number,
  fraction: number,
  epochs: number,
): number {
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'piecewise':
      return baseLr * schedule.decay ** schedule.milestones.filter((m) => m <= epoch).length;
    case 'cosine':
      return (baseLr * (1 + Math.cos((Math.PI * (epoch + fraction)) / epochs))) / 2;
  }
}

export function formatSchedule(schedule: Schedule): string {
  return schedule.kind === 'piecewise'
    ? `piecewise:${schedule.milestones.join(',')} (×${schedule.decay})`
    : schedule.kind;
}
