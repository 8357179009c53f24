/**
 * The entries of a zip archive (PyTorch ≥ 1.6 saves one), read from its central directory with
 * every offset and size checked against the file. Stored and deflated entries; no zip64.
 */
import { inflateRawSync } from 'node:zlib';
import { WeightscapeError } from '../errors.ts';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * Entry name → its (uncompressed) bytes; deflated entries may inflate to `maxInflatedBytes` in all. `source` names the
 * file in errors.
 */
export function readZipEntries(
  bytes: Uint8Array,
  source: string,
  maxInflatedBytes = Number.MAX_SAFE_INTEGER,
): Map<string, Uint8Array> {
  const fail = (problem: string): never => {
    throw new WeightscapeError('bad-file', `${source}: corrupt zip archive: ${problem}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  let end = -1;
  for (let p = bytes.byteLength - 22; p >= Math.max(0, bytes.byteLength - 22 - 65535); p--) {
    if (view.getUint32(p, true) === END_OF_CENTRAL_DIRECTORY) {
      end = p;
      break;
    }
  }
  if (end < 0) fail('no end-of-central-directory record (truncated?)');
  const entryCount = view.getUint16(end + 10, true);
  const directorySize = view.getUint32(end + 12, true);
  const directoryOffset = view.getUint32(end + 16, true);
  if (entryCount === 0xffff || directoryOffset === 0xffffffff)
    fail('zip64 archives (over 4 GB or 65535 entries) are not supported');
  if (directoryOffset + directorySize > end)
    fail(`central directory [${directoryOffset}, +${directorySize}) overlaps the end record at ${end}`);
  const entries = new Map<string, Uint8Array>();
  let inflatedTotal = 0;
  let p = directoryOffset;
  for (let i = 0; i < entryCount; i++) {
    if (p + 46 > end || view.getUint32(p, true) !== CENTRAL_HEADER) fail(`central directory entry ${i} is missing`);
    const method = view.getUint16(p + 10, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const localOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLength > end) fail(`central directory entry ${i} runs past the directory`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff)
      fail(`entry '${name}' needs zip64, which is not supported`);
    if (localOffset + 30 > bytes.byteLength || view.getUint32(localOffset, true) !== LOCAL_HEADER)
      fail(`entry '${name}' has no local header at ${localOffset}`);
    const dataStart =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressedSize > bytes.byteLength)
      fail(
        `entry '${name}' needs bytes up to ${dataStart + compressedSize} but the file has ${bytes.byteLength} (truncated?)`,
      );
    const raw = bytes.subarray(dataStart, dataStart + compressedSize);
    if (method === 0) {
      if (size !== compressedSize) fail(`stored entry '${name}' has sizes ${compressedSize} and ${size}`);
      entries.set(name, raw);
    } else if (method === 8) {
      // A few compressed bytes can declare gigabytes: the declared sizes are counted before inflating.
      inflatedTotal += size;
      if (inflatedTotal > maxInflatedBytes) {
        throw new WeightscapeError(
          'bad-file',
          `${source}: compressed entries would inflate to more than the limit of ${maxInflatedBytes} bytes`,
          {
            suggestion: 'raise it with --max-tensor-bytes or WEIGHTSCAPE_MAX_TENSOR_BYTES if the file is trusted',
          },
        );
      }
      let inflated: Buffer;
      try {
        inflated = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      } catch {
        fail(`entry '${name}' does not inflate to its declared ${size} bytes`);
      }
      if (inflated!.byteLength !== size) fail(`entry '${name}' inflates to ${inflated!.byteLength} bytes, not ${size}`);
      entries.set(name, new Uint8Array(inflated!.buffer, inflated!.byteOffset, inflated!.byteLength));
    } else {
      fail(`entry '${name}' uses compression method ${method}`);
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
