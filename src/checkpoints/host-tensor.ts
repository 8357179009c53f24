/** Tensors read from files, still in JavaScript memory: float32 or int32 values with a shape. */
import { WeightscapeError } from '../errors.ts';
import { MAX_TENSOR_VALUES, valueCount } from './tensor-budget.ts';

export interface HostTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  values: Float32Array | Int32Array;
}

/** File element types (safetensors spelling; torch storages map onto them). */
export type FileDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const FILE_DTYPE_BYTES: Record<FileDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bf16Reader(bytes: Uint8Array): (i: number) => number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scratch = new DataView(new ArrayBuffer(4));
  return (i) => {
    scratch.setUint32(0, view.getUint16(i * 2, true) << 16, false);
    return scratch.getFloat32(0, false);
  };
}

/** Element i of a little-endian buffer of `dtype`, as a number (int64 only when exactly representable). */
function elementReader(bytes: Uint8Array, dtype: FileDtype, where: string): (i: number) => number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F64':
      return (i) => view.getFloat64(i * 8, true);
    case 'F32':
      return (i) => view.getFloat32(i * 4, true);
    case 'F16':
      return (i) => halfToFloat(view.getUint16(i * 2, true));
    case 'BF16':
      return bf16Reader(bytes);
    case 'I64':
      return (i) => {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n)
          throw new WeightscapeError('bad-file', `${where}: int64 value ${v} does not fit int32`);
        return Number(v);
      };
    case 'I32':
      return (i) => view.getInt32(i * 4, true);
    case 'I16':
      return (i) => view.getInt16(i * 2, true);
    case 'I8':
      return (i) => view.getInt8(i);
    case 'U8':
    case 'BOOL':
      return (i) => view.getUint8(i);
  }
}

/**
 * Checks, before anything is allocated, that a view (shape, strides, offset, in elements) stays
 * inside a storage of `storageElements`. Exact (BigInt) arithmetic: a hostile size or stride
 * cannot overflow past the check. How many values it has is the TensorBudget's concern.
 */
export function checkView(
  storageElements: number,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  where: string,
): void {
  if (valueCount(shape) === 0n) return;
  // The largest element index the view reaches must lie inside the storage.
  let last = BigInt(offset);
  shape.forEach((dim, axis) => {
    last += BigInt(dim - 1) * BigInt(strides[axis]!);
  });
  if (offset < 0 || last >= BigInt(storageElements)) {
    throw new WeightscapeError(
      'bad-file',
      `${where}: tensor view reaches element ${last} of a storage with ${storageElements}`,
    );
  }
}

/**
 * Decodes the elements of a view (`strides` and `offset` in elements) of a storage. Floats become
 * float32, integers int32. `where` names the tensor in errors. Callers count the values against
 * a TensorBudget first; the view is checked against the storage here, before allocating.
 */
export function decodeStrided(
  storage: Uint8Array,
  dtype: FileDtype,
  shape: number[],
  strides: number[],
  offset: number,
  where: string,
): HostTensor {
  const exactCount = valueCount(shape);
  if (exactCount > BigInt(MAX_TENSOR_VALUES)) {
    throw new WeightscapeError(
      'bad-file',
      `${where}: tensor of shape [${shape.join(', ')}] has ${exactCount} values, more than one array can hold (${MAX_TENSOR_VALUES})`,
    );
  }
  checkView(Math.floor(storage.byteLength / FILE_DTYPE_BYTES[dtype]), shape, strides, offset, where);
  const count = Number(exactCount);
  const read = elementReader(storage, dtype, where);
  const isFloat = dtype.startsWith('F') || dtype === 'BF16';
  const values = isFloat ? new Float32Array(count) : new Int32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  let position = offset;
  for (let i = 0; i < count; i++) {
    values[i] = read(position);
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis]!++;
      position += strides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      position -= strides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return { dtype: isFloat ? 'float32' : 'int32', shape, values };
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let axis = shape.length - 2; axis >= 0; axis--) strides[axis] = strides[axis + 1]! * shape[axis + 1]!;
  return strides;
}
