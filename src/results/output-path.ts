/**
 * Output paths checked before any work starts: a command that would fail to write its result
 * after an hour of computing must fail at once instead, naming the path and the reason.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WeightscapeError } from '../errors.ts';

/** What a command writes at a path: one file, or a directory it creates if needed. */
export type OutputKind = 'file' | 'directory';

export interface OutputPath {
  /** The flag that named it, for messages (`--out`, `--svg`, …). */
  flag: string;
  path: string;
  kind: OutputKind;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // ENOTDIR: a component of the path is a file.
    if (code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The reason `output` cannot be written, or undefined when it can. */
export function outputPathProblem(output: OutputPath): string | undefined {
  const target = resolve(output.path);
  const stats = statOrUndefined(target);
  if (output.kind === 'file') {
    if (stats?.isDirectory()) return 'is a directory, expected a file name';
    if (stats !== undefined && !stats.isFile()) return 'exists and is not a regular file';
    if (stats !== undefined && !writable(target)) return 'is not writable';
    const parent = dirname(target);
    const parentStats = statOrUndefined(parent);
    if (parentStats === undefined) return `its directory ${parent} does not exist (create it first)`;
    if (!parentStats.isDirectory()) return `${parent} is not a directory`;
    if (!writable(parent)) return `its directory ${parent} is not writable`;
    return undefined;
  }
  if (stats !== undefined) {
    if (!stats.isDirectory()) return 'exists and is not a directory';
    return writable(target) ? undefined : 'is not writable';
  }
  // A directory that does not exist yet is created with its parents: the nearest existing
  // ancestor must be a writable directory.
  let ancestor = dirname(target);
  for (;;) {
    const ancestorStats = statOrUndefined(ancestor);
    if (ancestorStats !== undefined) {
      if (!ancestorStats.isDirectory()) return `${ancestor} is not a directory`;
      return writable(ancestor) ? undefined : `${ancestor} is not writable`;
    }
    const up = dirname(ancestor);
    if (up === ancestor) return `no part of it exists`;
    ancestor = up;
  }
}

/**
 * Throws one `bad-argument` error naming the flag, the path and the reason for the first output that cannot be written.
 */
export function checkOutputPaths(outputs: OutputPath[]): void {
  for (const output of outputs) {
    const problem = outputPathProblem(output);
    if (problem !== undefined) throw new WeightscapeError('bad-argument', `${output.flag} ${output.path}: ${problem}`);
  }
}
