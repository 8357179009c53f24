/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * ({name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}), then the
 * tensor bytes. The reader checks, in order, one error each: size cap, header length against the
 * file, JSON, entries, dtype × shape = byte length, offsets contiguous, total length exact.
 */
import { WeightscapeError } from '../errors.ts';

/** The safetensors reference refuses headers over 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

const BYTES_PER_ELEMENT = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
export type SafetensorsDtype = keyof typeof BYTES_PER_ELEMENT;

export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The tensor's bytes, little-endian, a view into the file's buffer. */
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

function fail(source: string, problem: string): never {
  throw new WeightscapeError('bad-file', `${source}: not a valid safetensors file: ${problem}`);
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(BYTES_PER_ELEMENT, value);
}

/** Element count of a shape, refusing anything beyond exact integer arithmetic. */
function elementCount(shape: unknown, source: string, name: string): number {
  if (!Array.isArray(shape)) fail(source, `tensor '${name}' has no shape array`);
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0)
      fail(source, `tensor '${name}' has an invalid dimension ${JSON.stringify(dim)}`);
    count *= dim;
    if (!Number.isSafeInteger(count)) fail(source, `tensor '${name}' has too many elements`);
  }
  return count;
}

/** Parses a safetensors file held in memory; `source` names it in errors. */
export function parseSafetensors(file: Uint8Array, source: string): SafetensorsFile {
  if (file.byteLength < 8) fail(source, `${file.byteLength} bytes is shorter than the 8-byte header length`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES))
    fail(source, `header claims ${headerLength} bytes (limit ${MAX_HEADER_BYTES})`);
  const headerEnd = 8 + Number(headerLength);
  if (headerEnd > file.byteLength)
    fail(
      source,
      `header claims ${headerLength} bytes but the file has ${file.byteLength - 8} after the length (truncated?)`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(8, headerEnd)));
  } catch (error) {
    fail(source, `header is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail(source, 'header is not a JSON object');

  const data = file.subarray(headerEnd);
  const metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
        fail(source, '__metadata__ is not an object');
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(source, `__metadata__ value of '${key}' is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    if (!isDtype(dtype)) fail(source, `tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)}`);
    const count = elementCount(shape, source, name);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(source, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end - begin !== count * BYTES_PER_ELEMENT[dtype]) {
      fail(
        source,
        `tensor '${name}': ${dtype} × [${(shape as number[]).join(', ')}] needs ${count * BYTES_PER_ELEMENT[dtype]} bytes but data_offsets span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // Tensors must tile the data section exactly: no gaps, no overlaps, nothing left over.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const entry of entries) {
    if (entry.begin !== expected)
      fail(source, `tensor '${entry.name}' starts at byte ${entry.begin}, expected ${expected} (gap or overlap)`);
    expected = entry.end;
  }
  if (expected !== data.byteLength)
    fail(source, `tensors cover ${expected} bytes but the data section has ${data.byteLength}`);
  const tensors = new Map<string, RawTensor>();
  for (const entry of entries) {
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, bytes: data.subarray(entry.begin, entry.end) });
  }
  return { tensors, metadata };
}

/** Serializes tensors (in name order) with metadata; the header is padded to 8 bytes with spaces. */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, RawTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const tensor = tensors.get(name)!;
    const length = elementCount(tensor.shape, 'serializeSafetensors', name) * BYTES_PER_ELEMENT[tensor.dtype];
    if (length !== tensor.bytes.byteLength) {
      throw new WeightscapeError(
        'internal',
        `serializeSafetensors: tensor '${name}' has ${tensor.bytes.byteLength} bytes, its shape needs ${length}`,
      );
    }
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (json.byteLength % 8)) % 8; // data starts 8-byte aligned (the length field is 8)
  const headerBytes = new Uint8Array(json.byteLength + padding).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const name of names) {
    const bytes = tensors.get(name)!.bytes;
    out.set(bytes, position);
    position += bytes.byteLength;
  }
  return out;
}
