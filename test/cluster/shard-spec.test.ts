/** `--shard auto`: the shard of a Slurm array task or a Kubernetes indexed Job pod, and the refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseShard, shardPoints } from '../../src/cluster/shard-spec.ts';
import { WeightscapeError } from '../../src/errors.ts';

const refused = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof WeightscapeError && e.isUserError && pattern.test(e.message));

test('a Slurm array task: index ID − MIN (over STEP), count SLURM_ARRAY_TASK_COUNT', () => {
  const slurm = (id: number, min: number, taskCount: number, step?: number) =>
    parseShard('auto', {
      env: {
        SLURM_ARRAY_TASK_ID: String(id),
        SLURM_ARRAY_TASK_MIN: String(min),
        SLURM_ARRAY_TASK_COUNT: String(taskCount),
        ...(step === undefined ? {} : { SLURM_ARRAY_TASK_STEP: String(step) }),
      },
    });
  assert.deepEqual({ ...slurm(2, 0, 4), source: '' }, { index: 2, count: 4, source: '' });
  // --array=1-4: task 1 is shard 0, task 4 shard 3.
  assert.equal(slurm(1, 1, 4).index, 0);
  assert.equal(slurm(4, 1, 4).index, 3);
  // --array=0-12:4 gives ids 0, 4, 8, 12 and count 4.
  assert.equal(slurm(8, 0, 4, 4).index, 2);
  assert.match(slurm(3, 0, 4).source, /Slurm array task 3/);
  // Gaps (--array=1,3,7) do not map onto 0…n−1.
  refused(() => slurm(7, 1, 3), /SLURM_ARRAY_TASK_ID=7.*not one of 3 consecutive tasks/);
  refused(() => slurm(6, 0, 4, 4), /not one of 4 consecutive/);
  refused(() => parseShard('auto', { env: { SLURM_ARRAY_TASK_ID: '1' } }), /SLURM_ARRAY_TASK_COUNT is not/);
  refused(
    () => parseShard('auto', { env: { SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '4' } }),
    /SLURM_ARRAY_TASK_ID="x" is not a whole number/,
  );
  // With a count given, the task ID is the shard: a task resubmitted alone (--array=2) keeps shard 2.
  const alone = { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '1', SLURM_ARRAY_TASK_MIN: '2' };
  assert.equal(slurm(2, 2, 1).index, 0);
  assert.deepEqual(
    { ...parseShard('auto', { env: alone, shardCount: '4' }), source: '' },
    { index: 2, count: 4, source: '' },
  );
  assert.equal(parseShard('auto', { env: { ...alone, WEIGHTSCAPE_SHARD_COUNT: '4' } }).index, 2);
  refused(
    () => parseShard('auto', { env: alone, shardCount: '2' }),
    /SLURM_ARRAY_TASK_ID=2 is not below --shard-count=2/,
  );
});

test('a Kubernetes indexed Job: JOB_COMPLETION_INDEX with the count from --shard-count or WEIGHTSCAPE_SHARD_COUNT', () => {
  assert.equal(parseShard('auto', { env: { JOB_COMPLETION_INDEX: '3', WEIGHTSCAPE_SHARD_COUNT: '4' } }).index, 3);
  assert.equal(parseShard('auto', { env: { JOB_COMPLETION_INDEX: '0' }, shardCount: '6' }).count, 6);
  refused(
    () => parseShard('auto', { env: { JOB_COMPLETION_INDEX: '1' } }),
    /--shard-count n or set WEIGHTSCAPE_SHARD_COUNT/,
  );
  refused(
    () => parseShard('auto', { env: { JOB_COMPLETION_INDEX: '4', WEIGHTSCAPE_SHARD_COUNT: '4' } }),
    /JOB_COMPLETION_INDEX=4 is not below WEIGHTSCAPE_SHARD_COUNT=4/,
  );
  refused(() => parseShard('auto', { env: { JOB_COMPLETION_INDEX: '0', WEIGHTSCAPE_SHARD_COUNT: '0' } }), /≥ 1/);
});

test('no scheduler, or a count without auto: one clear refusal', () => {
  refused(() => parseShard('auto', { env: {} }), /no scheduler shard in the environment.*give --shard i\/n/);
  refused(() => parseShard('1/4', { env: {}, shardCount: '4' }), /--shard-count goes with --shard auto/);
  refused(() => parseShard('4/4', { env: {} }), /expected i\/n with 0 ≤ i < n, or auto/);
  assert.deepEqual({ ...parseShard('1/4', { env: {} }), source: '' }, { index: 1, count: 4, source: '' });
});

test('shards partition the items', () => {
  const parts = [0, 1, 2].map((index) => shardPoints(10, { index, count: 3 }));
  assert.deepEqual(parts, [
    [0, 3, 6, 9],
    [1, 4, 7],
    [2, 5, 8],
  ]);
});
