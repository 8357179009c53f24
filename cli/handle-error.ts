/** The one place that turns errors into a message on stderr and an exit code. */
import { CommanderError } from 'commander';
import { z } from 'zod';
import { WeightscapeError } from '../src/errors.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** Prints one line (a stack trace too with --debug) and returns the exit code. */
export function handleError(error: unknown, debug: boolean, stderr: (line: string) => void): number {
  if (error instanceof CommanderError) {
    // commander has printed its own message; --help and --version end here too.
    return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  if (error instanceof z.ZodError) {
    stderr(`weightscape: ${error.issues.map((issue) => issue.message).join('; ')}`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof WeightscapeError) {
    const hint = error.suggestion === undefined ? '' : ` (${error.suggestion})`;
    stderr(`weightscape: ${error.message}${hint}`);
    if (debug && error.stack !== undefined) stderr(error.stack);
    return error.isUserError ? EXIT_BAD_INPUT : EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr(`weightscape: internal error: ${message}${debug ? '' : ' (run with --debug for the stack trace)'}`);
  if (debug && error instanceof Error && error.stack !== undefined) stderr(error.stack);
  return EXIT_FAILURE;
}
