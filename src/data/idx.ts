/**
 * IDX files (MNIST, Fashion-MNIST), gzipped or not: a 4-byte magic (0, 0, type 0x08 = uint8,
 * number of dimensions), big-endian uint32 dimensions, then the data.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { WeightscapeError } from '../errors.ts';

/** MNIST-sized files are ~47 MB unpacked; refuse to inflate anything far larger. */
const MAX_UNPACKED = 1 << 30;

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

export function parseIdx(file: Uint8Array, source: string, expectedDimensions: number): IdxArray {
  const fail = (problem: string): never => {
    throw new WeightscapeError('bad-file', `${source}: not a valid IDX file: ${problem}`);
  };
  let bytes = file;
  if (file[0] === 0x1f && file[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(file, { maxOutputLength: MAX_UNPACKED }));
    } catch (error) {
      fail(`gzip data is corrupt (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (bytes.byteLength < 4 || bytes[0] !== 0 || bytes[1] !== 0) fail('wrong magic number');
  if (bytes[2] !== 0x08) fail(`element type 0x${bytes[2]!.toString(16)} is not unsigned bytes`);
  const dimensions = bytes[3]!;
  if (dimensions !== expectedDimensions)
    fail(`${dimensions} dimensions, expected ${expectedDimensions} (magic 0x0000080${dimensions})`);
  if (bytes.byteLength < 4 + 4 * dimensions) fail('header truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: dimensions }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * dimensions;
  if (bytes.byteLength - start !== count)
    fail(`dimensions ${shape.join('×')} need ${count} bytes of data but the file has ${bytes.byteLength - start}`);
  return { shape, data: bytes.subarray(start) };
}

export function readIdx(path: string, expectedDimensions: number): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new WeightscapeError('bad-file', `${path}: cannot read the file (does it exist?)`);
  }
  return parseIdx(bytes, path, expectedDimensions);
}
