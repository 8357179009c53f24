/**
 * The contract every file reader keeps on any input: it returns, or it throws a user error
 * (WeightscapeError, exit 2) whose message is one line, quickly. Anything else fails the property.
 */
import assert from 'node:assert/strict';
import { handleError } from '../../cli/handle-error.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { detectArchitecture } from '../../src/checkpoints/detect-architecture.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';

/** Fixed seed and bounded runs: the same cases in every `npm test`. */
export const PROPERTY_RUNS = { seed: 15, numRuns: 200 } as const;

/**
 * A hang detector, not a speed target: every case is a few KB and decodes at most
 * CHECKPOINT_LIMIT_BYTES, so one that runs this long is looping or allocating without bound.
 */
const CASE_LIMIT_MS = 10_000;

/** The tensor byte limit the checkpoint properties run under. */
export const CHECKPOINT_LIMIT_BYTES = 1 << 20;

/** What `inspect` does with a file: load it (never past the limit) and recognize its architecture. */
export function inspectLike(path: string) {
  const { tensors } = loadCheckpoint(path, { maxTensorBytes: CHECKPOINT_LIMIT_BYTES });
  const values = [...tensors.values()].reduce((a, t) => a + t.values.length, 0);
  assert.ok(values * 4 < CHECKPOINT_LIMIT_BYTES, `decoded ${values} values past the limit`);
  return detectArchitecture(tensors);
}

export type Outcome = { ok: true } | { ok: false; line: string };

/** Runs a reader on one input and checks the contract; returns the printed line when it refused. */
export function readerOutcome(read: () => unknown): Outcome {
  const start = performance.now();
  let outcome: Outcome;
  try {
    read();
    outcome = { ok: true };
  } catch (error) {
    assert.ok(
      error instanceof WeightscapeError,
      `not a WeightscapeError: ${error instanceof Error ? error.stack : String(error)}`,
    );
    assert.ok(error.isUserError, `not a user error: ${error.code} ${error.message}`);
    assert.ok(!/[\r\n]/.test(error.message), `message of more than one line: ${JSON.stringify(error.message)}`);
    const lines: string[] = [];
    assert.equal(
      handleError(error, false, (line) => lines.push(line)),
      2,
      'exit code 2',
    );
    assert.equal(lines.length, 1, 'one line on stderr');
    assert.ok(
      !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(lines[0]!),
      `control characters printed: ${JSON.stringify(lines[0])}`,
    );
    outcome = { ok: false, line: lines[0]! };
  }
  const elapsed = performance.now() - start;
  assert.ok(elapsed < CASE_LIMIT_MS, `one case took ${elapsed.toFixed(0)} ms`);
  return outcome;
}
