/**
 * How many bytes of tensor values a checkpoint (or data file) may make us allocate. A file can
 * describe far more values than it holds (a zero-stride view of one float as 2^15×2^15), so every
 * tensor is counted, with exact arithmetic, before its array is allocated.
 */
import { WeightscapeError } from '../errors.ts';

/** Default limit on the decoded tensor bytes of one checkpoint: 4 GiB. */
export const DEFAULT_MAX_TENSOR_BYTES = 4 * 1024 ** 3;
export const MAX_TENSOR_BYTES_ENV = 'WEIGHTSCAPE_MAX_TENSOR_BYTES';
/** The longest typed array V8 allocates (Node 20): one tensor past it cannot be held at all. */
export const MAX_TENSOR_VALUES = 2 ** 32;
/** Every tensor is decoded to float32 or int32. */
const HOST_BYTES_PER_VALUE = 4n;

/** A positive whole number of bytes (digits, optionally with an exponent: 8e9); `name` names the flag or variable. */
export function parseByteLimit(text: string, name: string): number {
  const value = /^\s*\d+(\.\d+)?([eE]\+?\d+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new WeightscapeError('bad-argument', `${name}: expected a positive whole number of bytes, got '${text}'`);
  }
  return value;
}

/** The limit in force: the one given (the --max-tensor-bytes flag), else the environment's, else 4 GiB. */
export function resolveMaxTensorBytes(given?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (given !== undefined) return given;
  const text = env[MAX_TENSOR_BYTES_ENV];
  return text === undefined || text === '' ? DEFAULT_MAX_TENSOR_BYTES : parseByteLimit(text, MAX_TENSOR_BYTES_ENV);
}

/** The exact number of values of a shape (BigInt: no overflow). */
export function valueCount(shape: readonly number[]): bigint {
  return shape.reduce((count, dim) => count * BigInt(dim), 1n);
}

/** Counts the bytes of the tensors of one file against the limit, before they are allocated. */
export class TensorBudget {
  private used = 0n;
  readonly limit: number;

  constructor(
    readonly source: string,
    limit?: number,
  ) {
    this.limit = resolveMaxTensorBytes(limit);
  }

  /**
   * Reserves the bytes of tensor `name` (none: the file's one array) of `shape`; throws naming the file and the tensor
   * when they do not fit.
   */
  claim(name: string | undefined, shape: readonly number[]): void {
    const count = valueCount(shape);
    const bytes = count * HOST_BYTES_PER_VALUE;
    const what = `${this.source}: ${name === undefined ? 'array' : `tensor '${name}'`} [${shape.join(', ')}] has ${count} values (${bytes} bytes)`;
    if (count > BigInt(MAX_TENSOR_VALUES))
      throw new WeightscapeError('bad-file', `${what}, more than one array can hold (${MAX_TENSOR_VALUES})`);
    // The tensors must stay under the limit: "4 GiB" refuses a file that would take exactly 4 GiB.
    if (this.used + bytes >= BigInt(this.limit)) {
      const before = this.used > 0n ? ` with the ${this.used} bytes before it` : '';
      throw new WeightscapeError(
        'bad-file',
        `${what}${before}, which reaches the limit of ${this.limit} bytes of tensors per file`,
        {
          suggestion: `raise it with --max-tensor-bytes or ${MAX_TENSOR_BYTES_ENV} if the file is trusted`,
        },
      );
    }
    this.used += bytes;
  }
}
