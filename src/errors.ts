/**
 * Typed errors for library code. Only cli/ prints them and chooses the exit code.
 */
import { printable } from './escape-text.ts';

/** What kind of failure: input errors exit with code 2, internal ones with 1. */
export type ErrorCode = 'bad-argument' | 'bad-file' | 'backend-unavailable' | 'shape-mismatch' | 'numeric' | 'internal';

export class WeightscapeError extends Error {
  readonly code: ErrorCode;
  readonly suggestion: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; suggestion?: string } = {}) {
    // Messages quote file contents (tensor names, keys): escaped, so that every message is one inert line.
    super(printable(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeightscapeError';
    this.code = code;
    this.suggestion = options.suggestion === undefined ? undefined : printable(options.suggestion);
  }

  /** Bad input (arguments, files, shapes, NaN losses) as opposed to a bug in weightscape. */
  get isUserError(): boolean {
    return this.code !== 'internal';
  }
}

/** Throws a `bad-argument` error naming the argument and the function; the message is built only on failure. */
export function assertArgument(condition: boolean, fn: string, arg: string, describe: () => string): asserts condition {
  if (!condition) throw new WeightscapeError('bad-argument', `${fn}: ${arg} ${describe()}`);
}
