/**
 * Direction specs on the command line: random | filter | layer | adversarial | hessian |
 * interpolate:<checkpoint> | file:<directions.safetensors> (one direction per file: the whole file).
 * random: Gaussian, unnormalized; filter/layer: Gaussian, filter- or layer-normalized.
 * random, filter and layer take an optional `:seed=<n>` (e.g. filter:seed=3), the Gaussian's own
 * seed: directions of one study share the data subset (the run's --seed) and differ only in it.
 */
import { WeightscapeError } from '../errors.ts';

export type GaussianKind = 'random' | 'filter' | 'layer';

export type DirectionSpec =
  | { kind: GaussianKind; seed?: number }
  | { kind: 'adversarial' }
  | { kind: 'hessian' }
  | { kind: 'interpolate'; checkpoint: string }
  | { kind: 'file'; path: string };

const SEEDED = /^(random|filter|layer):seed=(\d{1,15})$/;

export function parseDirection(text: string): DirectionSpec {
  if (['random', 'filter', 'layer', 'adversarial', 'hessian'].includes(text)) return { kind: text } as DirectionSpec;
  const seeded = SEEDED.exec(text);
  if (seeded !== null) return { kind: seeded[1] as GaussianKind, seed: Number(seeded[2]) };
  if (text.startsWith('interpolate:') && text.length > 'interpolate:'.length)
    return { kind: 'interpolate', checkpoint: text.slice('interpolate:'.length) };
  if (text.startsWith('file:') && text.length > 'file:'.length)
    return { kind: 'file', path: text.slice('file:'.length) };
  throw new WeightscapeError(
    'bad-argument',
    `--direction ${text}: expected random, filter, layer (each with an optional :seed=<n>), adversarial, hessian, ` +
      'interpolate:<checkpoint> or file:<directions.safetensors>',
  );
}

export function formatDirection(spec: DirectionSpec): string {
  if (spec.kind === 'interpolate') return `interpolate:${spec.checkpoint}`;
  if (spec.kind === 'file') return `file:${spec.path}`;
  if ('seed' in spec && spec.seed !== undefined) return `${spec.kind}:seed=${spec.seed}`;
  return spec.kind;
}
