/**
 * Attack strings on the command line, e.g. `pgd:linf:eps=8/255:steps=10:step=2/255`,
 * `pgd:l2:eps=0.5:steps=20:random-start=0:restarts=3:loss=cw`, `fgsm:eps=0.1`,
 * `trades:eps=8/255:steps=10:step=2/255`, `none`. Numbers may be fractions (8/255).
 */
import { WeightscapeError } from '../errors.ts';
import { printable } from '../escape-text.ts';

/** A bad-argument error; the spec is quoted escaped, so the message stays one inert line. */
function bad(message: string): WeightscapeError {
  return new WeightscapeError('bad-argument', printable(message));
}

export type Norm = 'linf' | 'l2';
export type AttackLoss = 'ce' | 'cw';

export interface PgdSpec {
  kind: 'pgd';
  norm: Norm;
  eps: number;
  /** Step size (L∞: per pixel; L2: per example). */
  step: number;
  steps: number;
  randomStart: boolean;
  restarts: number;
  loss: AttackLoss;
}

/** TRADES' inner maximization: KL(f(x) ‖ f(x′)) over the L∞ ball, start x + 0.001·N(0, 1). */
export interface TradesSpec {
  kind: 'trades';
  eps: number;
  step: number;
  steps: number;
}

export type AttackSpec = { kind: 'none' } | PgdSpec | TradesSpec;

function number(text: string, key: string, source: string): number {
  const parts = text.split('/');
  const value = parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : parts.length === 1 ? Number(text) : NaN;
  if (!Number.isFinite(value) || value < 0)
    throw bad(`--attack ${source}: ${key}=${text} is not a non-negative number`);
  return value;
}

/** Bounds on the loop counts: a typo like steps=1000000000 would otherwise run for days. */
export const MAX_ATTACK_STEPS = 100_000;
export const MAX_ATTACK_RESTARTS = 1000;

function integer(text: string, key: string, source: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(value) || value < min || value > max) {
    throw bad(`--attack ${source}: ${key}=${text} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function flag(text: string, key: string, source: string): boolean {
  if (['1', 'true', 'on', 'yes'].includes(text)) return true;
  if (['0', 'false', 'off', 'no'].includes(text)) return false;
  throw bad(`--attack ${source}: ${key}=${text} must be 0 or 1`);
}

export function parseAttack(source: string): AttackSpec {
  const [kind, ...parts] = source.split(':');
  if (kind === 'none' && parts.length === 0) return { kind: 'none' };
  const norm: Norm = parts[0] === 'l2' || parts[0] === 'linf' ? (parts.shift() as Norm) : 'linf';
  const values = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) throw bad(`--attack ${source}: '${part}' is not key=value`);
    values.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const take = (key: string) => {
    const v = values.get(key);
    values.delete(key);
    return v;
  };
  const epsText = take('eps');
  if (epsText === undefined && kind !== 'none') throw bad(`--attack ${source}: eps is required`);
  let spec: AttackSpec;
  if (kind === 'pgd' || kind === 'fgsm') {
    const eps = number(epsText!, 'eps', source);
    const steps = kind === 'fgsm' ? 1 : integer(take('steps') ?? '10', 'steps', source, 0, MAX_ATTACK_STEPS);
    const stepText = take('step');
    // Madry et al.'s rule of thumb for PGD: 2.5·eps/steps; FGSM steps the whole radius.
    const step =
      stepText !== undefined
        ? number(stepText, 'step', source)
        : kind === 'fgsm'
          ? eps
          : (2.5 * eps) / Math.max(steps, 1);
    const randomStartText = take('random-start');
    const loss = take('loss') ?? 'ce';
    if (loss !== 'ce' && loss !== 'cw') throw bad(`--attack ${source}: loss must be ce or cw`);
    spec = {
      kind: 'pgd',
      norm,
      eps,
      step,
      steps,
      randomStart: randomStartText === undefined ? kind === 'pgd' : flag(randomStartText, 'random-start', source),
      restarts: integer(take('restarts') ?? '1', 'restarts', source, 1, MAX_ATTACK_RESTARTS),
      loss,
    };
  } else if (kind === 'trades') {
    if (norm !== 'linf') throw bad(`--attack ${source}: TRADES' maximization is L∞ only`);
    const eps = number(epsText!, 'eps', source);
    const steps = integer(take('steps') ?? '10', 'steps', source, 0, MAX_ATTACK_STEPS);
    spec = { kind: 'trades', eps, steps, step: number(take('step') ?? String(eps / 4), 'step', source) };
  } else {
    throw bad(`--attack ${source}: unknown attack '${kind}' (pgd, fgsm, trades, none)`);
  }
  if (values.size > 0) throw bad(`--attack ${source}: unknown key ${[...values.keys()].join(', ')}`);
  return spec;
}

/**
 * Warnings about settings that are valid but almost surely a mistake: images are in [0, 1], so an
 * L∞ radius ≥ 1 lets the attack reach any image (8 where 8/255 was meant).
 */
export function attackWarnings(spec: AttackSpec): string[] {
  if (spec.kind === 'none' || (spec.kind === 'pgd' && spec.norm !== 'linf') || spec.eps < 1) return [];
  return [
    `--attack ${formatAttack(spec)}: eps=${spec.eps} ≥ 1 under L∞ covers the whole [0, 1] pixel range (did you mean ${spec.eps}/255?)`,
  ];
}

/** The canonical string of a spec (recorded in results). */
export function formatAttack(spec: AttackSpec): string {
  if (spec.kind === 'none') return 'none';
  if (spec.kind === 'trades') return `trades:eps=${spec.eps}:steps=${spec.steps}:step=${spec.step}`;
  return (
    `pgd:${spec.norm}:eps=${spec.eps}:steps=${spec.steps}:step=${spec.step}` +
    `:random-start=${spec.randomStart ? 1 : 0}:restarts=${spec.restarts}:loss=${spec.loss}`
  );
}

/** The usual test attack of a data set: PGD-20 at 8/255 for CIFAR, PGD-20 at 0.1 for (Fashion-)MNIST. */
export function usualAttack(dataKind: string, steps = 20): PgdSpec {
  const eps = dataKind.startsWith('cifar') ? 8 / 255 : 0.1;
  const step = dataKind.startsWith('cifar') ? 2 / 255 : eps / 4;
  return { kind: 'pgd', norm: 'linf', eps, step, steps, randomStart: true, restarts: 1, loss: 'ce' };
}
