/**
 * Direction specs on the command line: random | filter | layer | adversarial | hessian |
 * interpolate:<checkpoint> | file:<directions.safetensors> (one direction per file: the whole file).
 * random: Gaussian, unnormalized; filter/layer: Gaussian, filter- or layer-normalized.
 */
import { WeightscapeError } from '../errors.ts';

export type DirectionSpec =
  | { kind: 'random' }
  | { kind: 'filter' }
  | { kind: 'layer' }
  | { kind: 'adversarial' }
  | { kind: 'hessian' }
  | { kind: 'interpolate'; checkpoint: string }
  | { kind: 'file'; path: string };

export function parseDirection(text: string): DirectionSpec {
  if (['random', 'filter', 'layer', 'adversarial', 'hessian'].includes(text)) return { kind: text } as DirectionSpec;
  if (text.startsWith('interpolate:') && text.length > 'interpolate:'.length)
    return { kind: 'interpolate', checkpoint: text.slice('interpolate:'.length) };
  if (text.startsWith('file:') && text.length > 'file:'.length)
    return { kind: 'file', path: text.slice('file:'.length) };
  throw new WeightscapeError(
    'bad-argument',
    `--direction ${text}: expected random, filter, layer, adversarial, hessian, interpolate:<checkpoint> or file:<directions.safetensors>`,
  );
}

export function formatDirection(spec: DirectionSpec): string {
  if (spec.kind === 'interpolate') return `interpolate:${spec.checkpoint}`;
  if (spec.kind === 'file') return `file:${spec.path}`;
  return spec.kind;
}
