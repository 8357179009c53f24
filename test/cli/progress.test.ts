/** Progress in job logs: one plain line per step with its time, the elapsed time and an ETA from this run's rate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, progressLine } from '../../cli/progress.ts';

test('a job log gets a timed line per step, the ETA from the steps of this run only', () => {
  const lines: string[] = [];
  let ms = 0;
  // A resumed sweep: 4 of 10 points were done before; this run takes 2 s, then 4 s.
  const tick = progressLine('sample', {
    unit: 'points',
    alreadyDone: 4,
    isTTY: false,
    write: (t) => lines.push(t),
    now: () => ms,
  });
  ms = 2000;
  tick(5, 10);
  ms = 6000;
  tick(6, 10);
  ms = 6500;
  tick(10, 10);
  assert.deepEqual(lines, [
    // 2 s for 1 point, 5 to go: 10 s.
    'sample: 5/10 points, this step 2.0 s, elapsed 2.0 s, ETA 10.0 s\n',
    // 6 s for 2 points, 4 to go: 12 s.
    'sample: 6/10 points, this step 4.0 s, elapsed 6.0 s, ETA 12.0 s\n',
    'sample: 10/10 points, this step 0.5 s, elapsed 6.5 s, done\n',
  ]);
});

test('a terminal keeps the one counter line', () => {
  const out: string[] = [];
  const tick = progressLine('eval test', { isTTY: true, write: (t) => out.push(t) });
  tick(1, 2);
  tick(2, 2);
  assert.equal(out.join(''), '\reval test 1/2\reval test 2/2\n');
});

test('durations read as seconds, minutes or hours', () => {
  assert.equal(formatDuration(4.25), '4.3 s');
  assert.equal(formatDuration(185), '3 min 05 s');
  assert.equal(formatDuration(7380), '2 h 03 min');
  assert.equal(formatDuration(Infinity), '?');
});
