/**
 * The identity of a sweep beyond its settings: what the files named in the settings held (the
 * checkpoint's and the data's SHA-256, direction files), the resolved model configuration, and the
 * settings fixed in code (the attack behind data-dependent directions, AWP's γ and steps, the
 * Hessian's iterations and tolerance). Shards and resumes of one sweep must agree on all of it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatAttack, parseAttack, type AttackSpec } from '../attacks/attack-spec.ts';
import type { LabeledImages, Split } from '../data/dataset.ts';
import { AWP_DIRECTION, HESSIAN_DIRECTION, needsBatches } from '../directions/build-direction.ts';
import type { DirectionSpec } from '../directions/direction-spec.ts';
import { WeightscapeError } from '../errors.ts';
import { valueAt } from '../results/metric-path.ts';
import type { ModelConfig } from '../models/types.ts';

/** Batches the adversarial and hessian directions are computed on (the first of the sweep's data). */
export const DIRECTION_BATCHES = 4;

import type { SweepIdentity } from '../results/landscape-schema.ts';

export type { SweepIdentity };

function fileSha256(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new WeightscapeError('bad-file', `${path}: cannot read the direction's file`);
  }
  return createHash('sha256').update(bytes).digest('hex');
}

function dataSha256(data: LabeledImages): string {
  const hash = createHash('sha256');
  for (const values of [data.images, data.labels])
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return hash.digest('hex');
}

export interface IdentityInputs {
  checkpointSha256: string;
  config: ModelConfig;
  data: LabeledImages;
  split: Split;
  subset: number | null;
  seed: number;
  batchSize: number;
  directions: DirectionSpec[];
  directionAttack: AttackSpec;
}

/** The identity of a sweep, from what it loaded and the directions it builds. */
export function sweepIdentity(inputs: IdentityInputs): SweepIdentity {
  const { directions, data } = inputs;
  const batches = Math.min(DIRECTION_BATCHES, Math.ceil(data.shape[0] / inputs.batchSize));
  const directionFiles: Record<string, string> = {};
  for (const spec of directions) {
    if (spec.kind === 'interpolate') directionFiles[`interpolate:${spec.checkpoint}`] = fileSha256(spec.checkpoint);
    if (spec.kind === 'file') directionFiles[`file:${spec.path}`] = fileSha256(spec.path);
  }
  return {
    checkpointSha256: inputs.checkpointSha256,
    model: inputs.config,
    data: {
      spec: data.spec,
      split: inputs.split,
      subset: inputs.subset,
      seed: inputs.seed,
      count: data.shape[0],
      sha256: dataSha256(data),
    },
    directionFiles,
    directionAttack: directions.some(needsBatches) ? formatAttack(inputs.directionAttack) : null,
    awp: directions.some((d) => d.kind === 'adversarial') ? { ...AWP_DIRECTION, batches: 1 } : null,
    hessian: directions.some((d) => d.kind === 'hessian') ? { ...HESSIAN_DIRECTION, batches } : null,
  };
}

/** The dotted path of the first place where a and b differ (JSON values), or null. */
export function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (a === b) return null;
  if (
    a === null ||
    b === null ||
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    Array.isArray(a) !== Array.isArray(b)
  ) {
    return JSON.stringify(a) === JSON.stringify(b) ? null : path;
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const key of keys) {
    const va = (a as Record<string, unknown>)[key];
    const vb = (b as Record<string, unknown>)[key];
    // A key absent on one side and undefined on the other is the same JSON.
    if (va === undefined && vb === undefined) continue;
    const found = firstDifference(va, vb, Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`);
    if (found !== null) return found;
  }
  return null;
}

function show(value: unknown): string {
  const text = value === undefined ? 'absent' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The value at a path as firstDifference writes it (`result.a.b[1]`). */
function valueAtPath(root: unknown, path: string): unknown {
  return valueAt(
    root,
    path
      .split(/\.|\[|\]/)
      .filter((k) => k !== '')
      .slice(1),
  );
}

/** What must agree between two parts of one sweep. */
export interface SweepKey {
  settings: unknown;
  identity?: SweepIdentity;
}

/**
 * A recorded attack string as formatAttack writes it (`pgd:linf:eps=0.1:steps=5` and its spelled-out
 * defaults are one attack); one that does not parse stays as it is, to be compared as text.
 */
function canonicalAttack(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return formatAttack(parseAttack(text));
  } catch (error) {
    if (error instanceof WeightscapeError) return text;
    throw error;
  }
}

/**
 * The key with its attack strings in canonical form: results written before the attack was recorded
 * canonically (or by hand) keep the user's spelling. Data and direction specs are recorded as given,
 * which is their canonical text.
 */
function canonicalKey(key: SweepKey): { settings: unknown; identity: SweepIdentity | null } {
  const settings =
    key.settings !== null && typeof key.settings === 'object' && 'attack' in key.settings
      ? { ...key.settings, attack: canonicalAttack(key.settings.attack) }
      : key.settings;
  const identity =
    key.identity === undefined
      ? null
      : { ...key.identity, directionAttack: canonicalAttack(key.identity.directionAttack) as string | null };
  return { settings, identity };
}

/**
 * Throws (exit 2) naming `file`, `what` it is compared with and the first field that differs,
 * with both values, when the two are not parts of the same sweep (attack strings compared in
 * canonical form).
 */
export function checkSameSweep(file: string, part: SweepKey, reference: SweepKey, what: string): void {
  const a = canonicalKey(part);
  const b = canonicalKey(reference);
  const path = firstDifference(a, b, 'result');
  if (path === null) return;
  const field = path.replace(/^result\./, '');
  throw new WeightscapeError(
    'bad-file',
    `${file}: not the same sweep as ${what}: ${field} differs (${show(valueAtPath(a, path))} vs ${show(valueAtPath(b, path))})`,
  );
}
