/** The one place that turns errors into a message on stderr and an exit code. */
import { CommanderError } from 'commander';
import { z } from 'zod';
import { WeightscapeError } from '../src/errors.ts';
import { printable } from '../src/escape-text.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** Prints one line (a stack trace too with --debug) and returns the exit code. */
export function handleError(error: unknown, debug: boolean, stderr: (line: string) => void): number {
  // Messages quote file contents (tensor names, keys): printable() keeps each one line, and inert on a terminal.
  const stack = (e: Error) => {
    for (const line of (e.stack ?? '').split('\n')) stderr(printable(line));
  };
  if (error instanceof CommanderError) {
    // commander has printed its own message; --help and --version end here too.
    return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  if (error instanceof z.ZodError) {
    stderr(`weightscape: ${printable(error.issues.map((issue) => issue.message).join('; '))}`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof WeightscapeError) {
    const hint = error.suggestion === undefined ? '' : ` (${error.suggestion})`;
    stderr(`weightscape: ${printable(error.message)}${printable(hint)}`);
    if (debug) stack(error);
    return error.isUserError ? EXIT_BAD_INPUT : EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr(`weightscape: internal error: ${printable(message)}${debug ? '' : ' (run with --debug for the stack trace)'}`);
  if (debug && error instanceof Error) stack(error);
  return EXIT_FAILURE;
}
