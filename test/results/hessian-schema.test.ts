import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeightscapeError } from '../../src/errors.ts';
import { HESSIAN_SCHEMA } from '../../src/results/hessian-schema.ts';
import { readAnyResult, readResult } from '../../src/results/read-result.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/results/hessian.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-hessian-schema-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const fixture = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, any>;
const write = (name: string, json: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
};
/** Reading `path` as a Hessian result fails with exactly `${path}: ${field}` (code bad-file), by both readers. */
function refused(path: string, field: string): void {
  for (const read of [() => readResult(path, 'hessian'), () => readAnyResult(path)])
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof WeightscapeError);
      assert.equal(e.code, 'bad-file');
      assert.equal(e.message, `${path}: ${field}`);
      return true;
    });
}

test('the committed Hessian fixture is a valid weightscape.hessian/1 result, classified as hessian', () => {
  const result = readResult(FIXTURE, 'hessian');
  assert.equal(result.schema, HESSIAN_SCHEMA);
  assert.deepEqual(
    result.eigenvalues.map((e) => e.converged),
    [true, true, true, true, false],
  );
  assert.equal(result.density!.grid.length, 200);
  assert.deepEqual(
    result.density!.runs.map((r) => r.nodes.length),
    [10, 10],
  );
  for (const run of result.density!.runs)
    assert.ok(Math.abs(run.weights.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'the weights of a run sum to 1');
  assert.equal(result.perLayer!.length, 14);
  assert.equal(readAnyResult(FIXTURE).kind, 'hessian');
});

test('a Hessian result without eigenvalues is refused, naming the file and the field', () => {
  const result = fixture();
  delete result.eigenvalues;
  refused(write('no-eigenvalues.json', result), 'eigenvalues: expected array, received undefined');
});

test('a Hessian result whose converged is not a boolean is refused, naming the file and the field', () => {
  const result = fixture();
  result.eigenvalues[4].converged = 'false';
  refused(write('converged-string.json', result), 'eigenvalues[4].converged: expected boolean, received string');
  const layers = fixture();
  layers.perLayer[9].topEigenvalue.converged = 0;
  refused(
    write('layer-converged-number.json', layers),
    'perLayer[9].topEigenvalue.converged: expected boolean, received number',
  );
});

test('a density whose arrays do not pair up is refused (it would be plotted wrong)', () => {
  const short = fixture();
  short.density.density.pop();
  refused(write('short-density.json', short), 'density.density: expected 200 values (one per grid point), found 199');
  const run = fixture();
  run.density.runs[1].weights.pop();
  refused(write('short-run.json', run), 'density.runs[1].weights: expected 10 weights (one per node), found 9');
});
