/** The architectures by name. */
import { WeightscapeError } from '../errors.ts';
import { convnet } from './convnet.ts';
import { mlp } from './mlp.ts';
import { preactResnet18 } from './preact-resnet18.ts';
import { wideResnet } from './wide-resnet.ts';
import type { Architecture } from './types.ts';

export const ARCHITECTURES: Record<string, Architecture<never>> = {
  mlp: mlp as Architecture<never>,
  convnet: convnet as Architecture<never>,
  'preact-resnet18': preactResnet18 as Architecture<never>,
  'wide-resnet': wideResnet as Architecture<never>,
};

export function architecture(name: string): Architecture<unknown> {
  const arch = ARCHITECTURES[name];
  if (arch === undefined) {
    throw new WeightscapeError(
      'bad-argument',
      `unknown architecture '${name}' (expected one of ${Object.keys(ARCHITECTURES).join(', ')})`,
    );
  }
  return arch as Architecture<unknown>;
}
