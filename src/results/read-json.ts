/** Reads a JSON file, with one clear error naming the file when it is missing or not JSON. */
import { readFileSync } from 'node:fs';
import { WeightscapeError } from '../errors.ts';

export function readJsonFile(path: string, what = 'JSON result'): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new WeightscapeError(
      'bad-file',
      `${path}: not a readable ${what} (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    );
  }
}
