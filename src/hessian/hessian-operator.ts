/**
 * The flat Hessian operator the spectral algorithms (Lanczos, Hutchinson, stochastic Lanczos
 * quadrature) use, and the few vector helpers they share. Vectors are Float32Array because a full
 * model has tens of millions of parameters and Lanczos keeps many of them; every dot product and
 * norm accumulates in float64 so that the reductions do not lose the digits float32 storage keeps.
 */
import { assertArgument } from '../errors.ts';
import { seededUniform } from '../random.ts';

/** One parameter tensor's slice of the flat vector. */
export interface ParameterBlock {
  name: string;
  offset: number;
  length: number;
}

/** A symmetric linear operator on the flattened parameters (tensor blocks in a fixed order). */
export interface HessianOperator {
  /** Total number of parameters n. */
  size: number;
  /** The parameter tensors in flattening order (tfjs layout), offsets into the flat vector. */
  blocks: ParameterBlock[];
  /** H·v for a flat vector of length n (returns a new array; v is not modified). */
  apply(v: Float32Array): Float32Array;
}

/** aᵀb accumulated in float64. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** ‖a‖₂ accumulated in float64. */
export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

/** y ← y + alpha·x, in place. */
export function axpy(alpha: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + alpha * x[i]!;
}

/** x ← alpha·x, in place. */
export function scale(alpha: number, x: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = alpha * x[i]!;
}

/**
 * A host-side stream of standard normals from the project's seeded uniform (mulberry32) by
 * Box–Muller; each call draws the next value of the same stream.
 */
export function seededGaussianStream(seed: number): () => number {
  const uniform = seededUniform(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** A vector of n standard normals drawn from `gaussian`. */
export function gaussianVector(n: number, gaussian: () => number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = gaussian();
  return v;
}

/** A vector of n independent ±1 signs (Rademacher) drawn from `uniform`. */
export function rademacherVector(n: number, uniform: () => number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = uniform() < 0.5 ? -1 : 1;
  return v;
}

/**
 * The operator restricted to one parameter tensor's diagonal block H_bb: a block vector is embedded
 * into zeros, multiplied by H, and the block's slice of the product is returned.
 */
export function blockOperator(op: HessianOperator, block: ParameterBlock): HessianOperator {
  const { offset, length } = block;
  assertArgument(
    Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 1 && offset + length <= op.size,
    'blockOperator',
    `block ${block.name}`,
    () => `(offset ${offset}, length ${length}) does not lie inside the ${op.size} parameters`,
  );
  return {
    size: length,
    blocks: [{ name: block.name, offset: 0, length }],
    apply(v: Float32Array): Float32Array {
      assertArgument(v.length === length, 'blockOperator', 'vector', () => `has ${v.length} entries, not ${length}`);
      const full = new Float32Array(op.size);
      full.set(v, offset);
      return op.apply(full).slice(offset, offset + length);
    },
  };
}
