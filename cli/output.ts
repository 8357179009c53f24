/** Writing results where the user asked, without ever overwriting an input or racing another process. */
import { resolve } from 'node:path';
import { WeightscapeError } from '../src/errors.ts';
import { removeStaleTemporaries, writeFileAtomic } from '../src/results/atomic-write.ts';
import { lockOutput } from '../src/results/output-lock.ts';
import { checkOutputPaths, type OutputPath } from '../src/results/output-path.ts';
import { dirname, basename } from 'node:path';

export { progressLine } from './progress.ts';

/**
 * Before any work: checks that every output can be written (exit 2 naming the flag, path and
 * reason), clears temporaries a killed run left beside them, and locks each against a second
 * process given the same path. Outputs whose path is undefined are skipped.
 */
export function claimOutputs(
  command: string,
  outputs: Array<Omit<OutputPath, 'path'> & { path: string | undefined }>,
): void {
  const given = outputs.filter((o): o is OutputPath => o.path !== undefined);
  checkOutputPaths(given);
  for (const output of given) {
    const target = resolve(output.path);
    if (output.kind === 'file') removeStaleTemporaries(dirname(target), basename(target));
    else removeStaleTemporaries(target);
    lockOutput(output.path, `weightscape ${command}`, output.flag);
  }
}

/** Writes atomically to `out`, refusing paths that are among the command's inputs. */
export function writeOutput(out: string, data: string | Uint8Array, inputs: string[]): void {
  const target = resolve(out);
  const clash = inputs.find((input) => resolve(input) === target);
  if (clash !== undefined)
    throw new WeightscapeError('bad-argument', `--out ${out}: refusing to overwrite the input ${clash}`);
  writeFileAtomic(target, data);
}
