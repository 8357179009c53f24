import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { flatness1d, flatnessUndefinedReason } from '../../src/landscape/flatness-1d.ts';
import { parseRange } from '../../src/landscape/grid.ts';
import { finish, GRID_LAYOUT, type LandscapeResult } from '../../src/landscape/sample-landscape.ts';
import { LANDSCAPE_SCHEMA } from '../../src/results/landscape-schema.ts';

/** A complete clean 1D result over `alphas` with losses `loss(α)`, as the sampler would leave it. */
function complete1d(alphas: number[], loss: (a: number) => number): LandscapeResult {
  const row = alphas.map(loss);
  return {
    schema: LANDSCAPE_SCHEMA,
    settings: {} as LandscapeResult['settings'],
    identity: {} as LandscapeResult['identity'],
    model: {} as LandscapeResult['model'],
    directions: [],
    grid: { alphas, betas: null, layout: GRID_LAYOUT },
    values: { cleanLoss: [row], cleanAccuracy: [row.map(() => 0.5)], robustLoss: null, robustAccuracy: null },
    shard: null,
    complete: false,
    flatness: null,
    notes: [],
    provenance: { wallSeconds: 0 } as LandscapeResult['provenance'],
  };
}

test('parseRange: every grid whose ends are integer multiples of the step either side of 0 holds α = 0 exactly', () => {
  assert.equal(parseRange('-1:1:21')[10], 0);
  assert.equal(Object.is(parseRange('-0.3:0.7:11')[3], 0), true);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 1, max: 200 }),
      fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
      (below, above, step) => {
        const alphas = parseRange(`${-below * step}:${above * step}:${below + above + 1}`);
        return alphas.includes(0) && alphas.length === below + above + 1;
      },
    ),
    { seed: 15, numRuns: 300 },
  );
});

test('parseRange refuses repeated points (start = stop with count > 1), naming the flag', () => {
  assert.throws(() => parseRange('0:0:5'), /^WeightscapeError: --range 0:0:5: start equals stop/);
  assert.throws(() => parseRange('1:1:2', '--range2'), /--range2 1:1:2/);
  assert.deepEqual(parseRange('0:0:1'), [0]);
  assert.deepEqual(parseRange('1:-1:3'), [1, 0, -1]);
});

test('flatness is undefined without α = 0, with fewer than 3 points, or with points on one side only', () => {
  assert.match(flatnessUndefinedReason(parseRange('0.5:1:3'))!, /does not contain α = 0/);
  assert.match(flatnessUndefinedReason(parseRange('-1:1:1'))!, /at least 3 grid points/);
  assert.match(flatnessUndefinedReason([-1, 0])!, /at least 3 grid points/);
  assert.match(flatnessUndefinedReason(parseRange('0:1:5'))!, /both sides/);
  assert.equal(flatnessUndefinedReason(parseRange('-1:1:3')), null);
  // Today's code read "loss at 0" off α = 0.5 here; now it refuses.
  assert.throws(() => flatness1d([0.5, 0.75, 1], [1, 2, 3]), /does not contain α = 0/);
});

test('a complete 1D sweep off α = 0 or under 3 points has flatness null and a note; never NaN', () => {
  for (const range of ['0.5:1:3', '-1:1:1', '-1:1:2']) {
    const result = finish(
      complete1d(parseRange(range), (a) => 1 + a * a),
      0,
      performance.now(),
    );
    assert.equal(result.complete, true);
    assert.equal(result.flatness, null, range);
    assert.equal(result.notes.filter((n) => n.startsWith('flatness not computed')).length, 1, range);
    // finish runs after every point: the note is added once.
    assert.equal(finish(result, 0, performance.now()).notes.length, 1);
    assert.doesNotMatch(JSON.stringify(result), /NaN/);
  }
  const ok = finish(
    complete1d(parseRange('-1:1:5'), (a) => 2 + 3 * a * a),
    0,
    performance.now(),
  );
  assert.equal(ok.flatness!.clean.atZero, 2);
  assert.ok(Math.abs(ok.flatness!.clean.curvature - 6) < 1e-9);
  assert.deepEqual(ok.notes, []);
});
