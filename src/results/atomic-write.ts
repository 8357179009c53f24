/** Writes a file so that readers see either the old content or the new, never a partial file. */
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import { processIsAlive } from './process-alive.ts';

// `<name>.<pid>.<hex>.tmp`: the writer's PID in the name tells a live writer's file from one left
// by a killed process.
const TEMPORARY = /^(.*)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Writes to a temporary file beside `path`, then renames it over `path`; errors name `path`, never the temporary. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  removeStaleTemporaries(dirname(path), basename(path));
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new WeightscapeError('bad-argument', `${path}: cannot write (${describeWriteError(error)})`, {
      cause: error,
    });
  }
}

/**
 * Removes `<name>.<pid>.<hex>.tmp` files in `dir` whose writer is no longer running (all names when `name` is omitted).
 */
export function removeStaleTemporaries(dir: string, name?: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = TEMPORARY.exec(entry);
    if (match === null || (name !== undefined && match[1] !== name)) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || processIsAlive(pid)) continue;
    rmSync(join(dir, entry), { force: true });
    removed.push(entry);
  }
  return removed;
}

/** The reason of a failed write in words, without the temporary file's name. */
export function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'its directory does not exist';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    default:
      return code ?? (error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}
