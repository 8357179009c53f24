/**
 * NumPy .npy arrays (format versions 1–3): magic, header length, a Python-dict header with
 * descr, fortran_order and shape, then the raw little-endian data. C order only.
 */
import { WeightscapeError } from '../errors.ts';
import { FILE_DTYPE_BYTES as BYTES, type FileDtype } from '../checkpoints/host-tensor.ts';
import { readInputFile } from '../checkpoints/read-input-file.ts';
import { TensorBudget, valueCount } from '../checkpoints/tensor-budget.ts';

export interface NpyArray {
  dtype: FileDtype;
  shape: number[];
  /** The raw data bytes (little-endian). */
  bytes: Uint8Array;
}

const DESCR: Record<string, FileDtype> = {
  '<f4': 'F32',
  '<f8': 'F64',
  '<f2': 'F16',
  '|u1': 'U8',
  '<u1': 'U8',
  '|i1': 'I8',
  '<i2': 'I16',
  '<i4': 'I32',
  '<i8': 'I64',
  '|b1': 'BOOL',
};
const MAX_HEADER = 1 << 20;

/**
 * Parses a .npy file held in memory; its values must fit `maxTensorBytes` (default: the environment's, else 4 GiB) once
 * decoded.
 */
export function parseNpy(file: Uint8Array, source: string, maxTensorBytes?: number): NpyArray {
  const fail = (problem: string): never => {
    throw new WeightscapeError('bad-file', `${source}: not a valid .npy file: ${problem}`);
  };
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (file.byteLength < 10 || !magic.every((b, i) => file[i] === b)) fail('wrong magic number');
  const major = file[6]!;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) fail(`format version ${major} is not supported`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (headerLength > MAX_HEADER || dataStart > file.byteLength)
    fail(`header of ${headerLength} bytes does not fit the file`);
  const header = new TextDecoder().decode(file.subarray(8 + lengthBytes, dataStart));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    fail('header lacks descr, fortran_order or shape');
  const dtype = DESCR[descr!];
  if (dtype === undefined) fail(`dtype '${descr}' is not supported`);
  if (fortran === 'True') fail('Fortran-ordered arrays are not supported (save with np.ascontiguousarray)');
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`invalid shape (${shapeText})`);
  // Exact (BigInt) byte count: a huge shape must not round into a plausible length.
  const expected = valueCount(shape) * BigInt(BYTES[dtype!]);
  if (BigInt(file.byteLength - dataStart) !== expected) {
    fail(
      `shape (${shape.join(', ')}) of ${descr} needs ${expected} data bytes but the file has ${file.byteLength - dataStart}`,
    );
  }
  new TensorBudget(source, maxTensorBytes).claim(undefined, shape);
  return { dtype: dtype!, shape, bytes: file.subarray(dataStart) };
}

/** Reads and parses a .npy file. */
export function readNpy(path: string, maxTensorBytes?: number): NpyArray {
  return parseNpy(readInputFile(path, 'a .npy file'), path, maxTensorBytes);
}

/** A .npy file (format 1.0, C order) of the given little-endian bytes. */
export function serializeNpy(descr: '<f4' | '|u1' | '<i8' | '<i4', shape: number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}
