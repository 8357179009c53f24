/** Gaussian directions shaped like the parameters, seeded per tensor. */
import type { TensorMap } from '../models/types.ts';
import { seededNormal } from '../random.ts';

export function gaussianDirection(params: TensorMap, seed: number): TensorMap {
  const out: TensorMap = {};
  Object.entries(params).forEach(([name, p], i) => {
    out[name] = seededNormal(p.shape, 0, 1, seed * 7_919 + i);
  });
  return out;
}
