/** Writing results where the user asked, without ever overwriting an input. */
import { resolve } from 'node:path';
import { WeightscapeError } from '../src/errors.ts';
import { writeFileAtomic } from '../src/results/atomic-write.ts';

/** Writes atomically to `out`, refusing paths that are among the command's inputs. */
export function writeOutput(out: string, data: string | Uint8Array, inputs: string[]): void {
  const target = resolve(out);
  const clash = inputs.find((input) => resolve(input) === target);
  if (clash !== undefined) throw new WeightscapeError('bad-argument', `--out ${out}: refusing to overwrite the input ${clash}`);
  writeFileAtomic(target, data);
}

/** A one-line progress counter on stderr when it is a terminal. */
export function progressLine(label: string): (done: number, total: number) => void {
  if (!process.stderr.isTTY) return () => {};
  return (done, total) => {
    process.stderr.write(`\r${label} ${done}/${total}${done === total ? '\n' : ''}`);
  };
}
