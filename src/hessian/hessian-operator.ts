/** A symmetric linear operator on the flattened parameters (tensor blocks in a fixed order). */
export interface HessianOperator {
  /** Total number of parameters n. */
  size: number;
  /** The parameter tensors in flattening order (tfjs layout), offsets into the flat vector. */
  blocks: Array<{ name: string; offset: number; length: number }>;
  /** H·v for a flat vector of length n (returns a new array; v is not modified). */
  apply(v: Float32Array): Float32Array;
}
