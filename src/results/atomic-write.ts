/** Writes a file so that readers see either the old content or the new, never a partial file. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Writes to a temporary file beside `path`, then renames it over `path`. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
