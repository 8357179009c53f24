/** Reads a whole input file, turning every way it can fail (missing, a directory, unreadable) into one clear line. */
import { readFileSync, statSync } from 'node:fs';
import { WeightscapeError } from '../errors.ts';

/** Larger than any supported checkpoint or data file. */
export const MAX_INPUT_FILE_BYTES = 16 * 1024 ** 3;

function reason(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

/** The bytes of `path`, which must be a regular file; `expected` says what it should be ("a checkpoint file"). */
export function readInputFile(path: string, expected = 'a checkpoint file'): Uint8Array {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new WeightscapeError('bad-file', `${path}: is a directory, expected ${expected}`);
    size = stat.size;
  } catch (error) {
    if (error instanceof WeightscapeError) throw error;
    throw new WeightscapeError('bad-file', `${path}: cannot read the file (${reason(error)})`);
  }
  if (size > MAX_INPUT_FILE_BYTES)
    throw new WeightscapeError(
      'bad-file',
      `${path}: ${size} bytes is larger than any supported ${expected.replace(/^an? /, '')}`,
    );
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new WeightscapeError('bad-file', `${path}: cannot read the file (${reason(error)})`);
  }
}
