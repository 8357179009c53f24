/**
 * An exclusive lock on an output (`<path>.lock` beside it), so that two processes given the same
 * `--out` cannot both report success while one result is lost. The lock records its holder's PID;
 * a lock whose process is gone (killed) is stale and taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import { processIsAlive } from './process-alive.ts';

interface LockHolder {
  pid: number;
  host: string;
  command: string;
  started: string;
}

/** Locks this process holds, released together on exit. */
const held = new Set<string>();

/** The lock file of an output path. */
export function lockPathOf(path: string): string {
  return `${resolve(path)}.lock`;
}

function readHolder(lockPath: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock of `path` for this process, or throws a `bad-argument` error naming the process
 * that holds it. Taking a lock this process already holds is a no-op.
 */
export function lockOutput(path: string, command: string, flag = '--out'): void {
  const lockPath = lockPathOf(path);
  if (held.has(lockPath)) return;
  const me: LockHolder = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, `${JSON.stringify(me)}\n`);
      } finally {
        closeSync(fd);
      }
      held.add(lockPath);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new WeightscapeError(
          'bad-argument',
          `${flag} ${path}: cannot create its lock file ${lockPath} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        );
      }
    }
    const holder = readHolder(lockPath);
    const foreignHost = holder !== undefined && holder.host !== me.host;
    if (holder !== undefined && (foreignHost || processIsAlive(holder.pid))) {
      throw new WeightscapeError(
        'bad-argument',
        `${flag} ${path}: in use by another weightscape process ` +
          `(pid ${holder.pid}${foreignHost ? ` on ${holder.host}` : ''}, ${holder.command}, started ${holder.started})`,
        {
          suggestion: `wait for it to finish; if that process is gone, remove ${lockPath}`,
        },
      );
    }
    // The holder was killed (or the lock is unreadable): take the lock over.
    rmSync(lockPath, { force: true });
  }
  throw new WeightscapeError(
    'bad-argument',
    `${flag} ${path}: another process took its lock ${lockPath} at the same moment`,
  );
}

/** Releases every lock this process holds (only lock files that still name this process). */
export function releaseOutputLocks(): void {
  for (const lockPath of held) {
    if (readHolder(lockPath)?.pid === process.pid) rmSync(lockPath, { force: true });
    held.delete(lockPath);
  }
}
