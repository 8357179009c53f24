/**
 * Attack strings on the command line, e.g. `pgd:linf:eps=8/255:steps=10:step=2/255`,
 * `pgd:l2:eps=0.5:steps=20:random-start=0:restarts=3:loss=cw`, `fgsm:eps=0.1`,
 * `trades:eps=8/255:steps=10:step=2/255`, `apgd:linf:eps=8/255:loss=dlr:steps=100:restarts=1`,
 * `apgd-t:l2:eps=0.5:targets=9`, `square:linf:eps=8/255:queries=5000`,
 * `autoattack:linf:eps=8/255:version=standard`, `none`. Numbers may be fractions (8/255).
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

/**
 * APGD (Croce & Hein 2020): PGD with momentum 0.75, a step size (initially 2·eps) halved at
 * checkpoints where the loss stalled, each restart from the best point. `ce` or `dlr`, untargeted.
 */
export interface ApgdSpec {
  kind: 'apgd';
  norm: Norm;
  eps: number;
  loss: 'ce' | 'dlr';
  steps: number;
  restarts: number;
  /** Gradient samples averaged per step (expectation over transformation, for randomized models). */
  eot: number;
}

/** APGD-T: the targeted DLR loss towards each of the `targets` most likely wrong classes in turn. */
export interface ApgdTargetedSpec {
  kind: 'apgd-t';
  norm: Norm;
  eps: number;
  targets: number;
  steps: number;
  restarts: number;
  eot: number;
}

/** Square Attack (Andriushchenko et al. 2020): random search by squares, logits only. */
export interface SquareSpec {
  kind: 'square';
  norm: Norm;
  eps: number;
  queries: number;
  /** The initial fraction of pixels a square covers (schedule: halved at fixed query counts). */
  pInit: number;
  restarts: number;
  loss: 'margin' | 'ce';
}

export type AutoAttackMember = ApgdSpec | ApgdTargetedSpec | SquareSpec;

/**
 * AutoAttack: its members in order, each on the examples still robust. `standard` is upstream's
 * sequence without FAB-T (not built): APGD-CE, APGD-T (9 targets), Square (5000 queries); `rand`
 * APGD-CE and APGD-DLR with 20 EOT samples; `custom` the members named by `attacks=`.
 */
export interface AutoAttackSpec {
  kind: 'autoattack';
  norm: Norm;
  eps: number;
  version: 'standard' | 'rand' | 'custom';
  members: AutoAttackMember[];
}

export type AttackSpec =
  { kind: 'none' } | PgdSpec | TradesSpec | ApgdSpec | ApgdTargetedSpec | SquareSpec | AutoAttackSpec;

/** The names of AutoAttack's members, as `attacks=` takes them. */
export const AUTOATTACK_MEMBER_NAMES = ['apgd-ce', 'apgd-dlr', 'apgd-t', 'square'] as const;

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
  } else if (kind === 'apgd' || kind === 'apgd-t' || kind === 'square') {
    spec = memberSpec(kind, norm, number(epsText!, 'eps', source), take, source);
  } else if (kind === 'autoattack') {
    spec = autoAttackSpec(norm, number(epsText!, 'eps', source), take, source);
  } else {
    throw bad(
      `--attack ${source}: unknown attack '${kind}' (pgd, fgsm, trades, apgd, apgd-t, square, autoattack, none)`,
    );
  }
  if (values.size > 0) throw bad(`--attack ${source}: unknown key ${[...values.keys()].join(', ')}`);
  return spec;
}

type Take = (key: string) => string | undefined;

/** An APGD, APGD-T or Square spec from its keys, each with upstream's default. */
function memberSpec(kind: 'apgd' | 'apgd-t' | 'square', norm: Norm, eps: number, take: Take, source: string) {
  const restarts = integer(take('restarts') ?? '1', 'restarts', source, 1, MAX_ATTACK_RESTARTS);
  if (kind === 'square') {
    const loss = take('loss') ?? 'margin';
    if (loss !== 'margin' && loss !== 'ce') throw bad(`--attack ${source}: Square's loss must be margin or ce`);
    const pInit = number(take('p-init') ?? '0.8', 'p-init', source);
    if (pInit <= 0 || pInit > 1) throw bad(`--attack ${source}: p-init=${pInit} must be in (0, 1]`);
    const queries = integer(take('queries') ?? '5000', 'queries', source, 1, MAX_ATTACK_STEPS);
    return { kind, norm, eps, queries, pInit, restarts, loss } satisfies SquareSpec;
  }
  const steps = integer(take('steps') ?? '100', 'steps', source, 1, MAX_ATTACK_STEPS);
  const eot = integer(take('eot') ?? '1', 'eot', source, 1, MAX_ATTACK_RESTARTS);
  if (kind === 'apgd-t') {
    const targets = integer(take('targets') ?? '9', 'targets', source, 1, MAX_ATTACK_RESTARTS);
    return { kind, norm, eps, targets, steps, restarts, eot } satisfies ApgdTargetedSpec;
  }
  const loss = take('loss') ?? 'ce';
  if (loss !== 'ce' && loss !== 'dlr')
    throw bad(`--attack ${source}: APGD's loss must be ce or dlr (apgd-t is the targeted DLR)`);
  return { kind, norm, eps, loss, steps, restarts, eot } satisfies ApgdSpec;
}

/** AutoAttack's members of a version (custom: `attacks=apgd-ce+apgd-t+…`, with optional overrides). */
function autoAttackSpec(norm: Norm, eps: number, take: Take, source: string): AutoAttackSpec {
  const version = take('version') ?? 'standard';
  if (version !== 'standard' && version !== 'rand' && version !== 'custom')
    throw bad(`--attack ${source}: version must be standard, rand or custom`);
  const attacksText = take('attacks');
  if (version !== 'custom') {
    if (attacksText !== undefined) throw bad(`--attack ${source}: attacks= needs version=custom`);
    const names = version === 'standard' ? ['apgd-ce', 'apgd-t', 'square'] : ['apgd-ce', 'apgd-dlr'];
    const none: Take = (key) => (key === 'eot' && version === 'rand' ? '20' : undefined);
    return {
      kind: 'autoattack',
      norm,
      eps,
      version,
      members: names.map((name) => namedMember(name, norm, eps, none, source)),
    };
  }
  if (attacksText === undefined)
    throw bad(
      `--attack ${source}: version=custom needs attacks=apgd-ce+apgd-t+square (any of ${AUTOATTACK_MEMBER_NAMES.join(', ')})`,
    );
  const names = attacksText.split('+');
  const overrides = new Map(
    ['steps', 'restarts', 'targets', 'queries', 'eot'].flatMap((key) => {
      const value = take(key);
      return value === undefined ? [] : [[key, value] as const];
    }),
  );
  if (new Set(names).size !== names.length) throw bad(`--attack ${source}: attacks= names an attack twice`);
  const members = names.map((name) => namedMember(name, norm, eps, (key) => overrides.get(key), source));
  return { kind: 'autoattack', norm, eps, version, members };
}

/** A member by its AutoAttack name; keys that do not apply to it are ignored (they apply to another). */
function namedMember(name: string, norm: Norm, eps: number, value: Take, source: string): AutoAttackMember {
  const keys =
    (allowed: string[], fixed: Record<string, string>): Take =>
    (key) =>
      fixed[key] ?? (allowed.includes(key) ? value(key) : undefined);
  switch (name) {
    case 'apgd-ce':
    case 'apgd-dlr':
      return memberSpec('apgd', norm, eps, keys(['steps', 'restarts', 'eot'], { loss: name.slice(5) }), source);
    case 'apgd-t':
      return memberSpec('apgd-t', norm, eps, keys(['steps', 'restarts', 'eot', 'targets'], {}), source);
    case 'square':
      return memberSpec('square', norm, eps, keys(['queries', 'restarts'], {}), source);
    default:
      throw bad(`--attack ${source}: unknown AutoAttack member '${name}' (${AUTOATTACK_MEMBER_NAMES.join(', ')})`);
  }
}

/**
 * Warnings about settings that are valid but almost surely a mistake: images are in [0, 1], so an
 * L∞ radius ≥ 1 lets the attack reach any image (8 where 8/255 was meant).
 */
export function attackWarnings(spec: AttackSpec): string[] {
  const eot = (spec.kind === 'autoattack' ? spec.members : [spec]).some((m) => 'eot' in m && m.eot > 1);
  const eotNote = eot
    ? [
        `--attack ${formatAttack(spec)}: eot > 1 averages gradient samples of a randomized model; weightscape's models are ` +
          'deterministic in eval mode, so the samples are equal and one gradient is computed per step',
      ]
    : [];
  return [...eotNote, ...epsWarnings(spec)];
}

function epsWarnings(spec: AttackSpec): string[] {
  if (spec.kind === 'none' || ('norm' in spec && spec.norm !== 'linf') || spec.eps < 1) return [];
  return [
    `--attack ${formatAttack(spec)}: eps=${spec.eps} ≥ 1 under L∞ covers the whole [0, 1] pixel range (did you mean ${spec.eps}/255?)`,
  ];
}

/** The canonical string of a spec (recorded in results). */
export function formatAttack(spec: AttackSpec): string {
  if (spec.kind === 'none') return 'none';
  if (spec.kind === 'trades') return `trades:eps=${spec.eps}:steps=${spec.steps}:step=${spec.step}`;
  const head = `${spec.kind}:${spec.norm}:eps=${spec.eps}`;
  switch (spec.kind) {
    case 'apgd':
      return `${head}:loss=${spec.loss}:steps=${spec.steps}:restarts=${spec.restarts}:eot=${spec.eot}`;
    case 'apgd-t':
      return `${head}:targets=${spec.targets}:steps=${spec.steps}:restarts=${spec.restarts}:eot=${spec.eot}`;
    case 'square':
      return `${head}:queries=${spec.queries}:p-init=${spec.pInit}:restarts=${spec.restarts}:loss=${spec.loss}`;
    case 'autoattack':
      return spec.version === 'custom'
        ? `${head}:version=custom:attacks=${spec.members.map(memberName).join('+')}` + customOverrides(spec)
        : `${head}:version=${spec.version}`;
  }
  return (
    `pgd:${spec.norm}:eps=${spec.eps}:steps=${spec.steps}:step=${spec.step}` +
    `:random-start=${spec.randomStart ? 1 : 0}:restarts=${spec.restarts}:loss=${spec.loss}`
  );
}

/** Refuses an attack the model's class count cannot serve (DLR ranks three classes, APGD-T four and its targets). */
export function checkAttackClasses(spec: AttackSpec, classes: number): void {
  for (const member of spec.kind === 'autoattack' ? spec.members : [spec]) {
    const needed =
      member.kind === 'apgd-t'
        ? Math.max(4, member.targets + 1)
        : member.kind === 'apgd' && member.loss === 'dlr'
          ? 3
          : 2;
    if (classes < needed)
      throw bad(
        `--attack ${formatAttack(spec)}: ${memberLabel(member)} needs at least ${needed} classes, the model has ${classes}`,
      );
  }
}

const memberLabel = (member: AttackSpec) =>
  member.kind === 'apgd' || member.kind === 'apgd-t' || member.kind === 'square' ? memberName(member) : member.kind;

/** A member's AutoAttack name (apgd-ce, apgd-dlr, apgd-t, square). */
export function memberName(member: AutoAttackMember): string {
  return member.kind === 'apgd' ? `apgd-${member.loss}` : member.kind;
}

/** The overrides a custom AutoAttack carries, as keys of its canonical string. */
function customOverrides(spec: AutoAttackSpec): string {
  const keys: string[] = [];
  for (const member of spec.members) {
    if (member.kind !== 'square')
      keys.push(`steps=${member.steps}`, `restarts=${member.restarts}`, `eot=${member.eot}`);
    if (member.kind === 'apgd-t') keys.push(`targets=${member.targets}`);
    if (member.kind === 'square') keys.push(`queries=${member.queries}`, `restarts=${member.restarts}`);
  }
  return [...new Set(keys)].map((k) => `:${k}`).join('');
}

/** The usual test attack of a data set: PGD-20 at 8/255 for CIFAR, PGD-20 at 0.1 for (Fashion-)MNIST. */
export function usualAttack(dataKind: string, steps = 20): PgdSpec {
  const eps = dataKind.startsWith('cifar') ? 8 / 255 : 0.1;
  const step = dataKind.startsWith('cifar') ? 2 / 255 : eps / 4;
  return { kind: 'pgd', norm: 'linf', eps, step, steps, randomStart: true, restarts: 1, loss: 'ce' };
}
