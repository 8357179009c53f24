import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeightscapeError } from '../../src/errors.ts';
import { readAnyResult, readResult, type ResultKind } from '../../src/results/read-result.ts';
import { readLandscape } from '../../src/landscape/read-result.ts';
import { correlateResults } from '../../src/stats/correlate-results.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-results-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const load = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Record<string, any>;
const write = (name: string, json: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
};

/** A correlation result as correlate writes it (three checkpoints). */
function correlationExample(): unknown {
  const results = [1, 2, 3].map((i) => ({
    path: `r${i}.json`,
    json: { provenance: { checkpoint: { path: `c${i}`, sha256: `s${i}` } }, x: i, y: i * i },
  }));
  return JSON.parse(JSON.stringify(correlateResults(results, 'x', 'y', { resamples: 100, permutations: 100 })));
}

/** For each kind: a committed (or freshly written) valid example, a deep mutation and the message it must give. */
const cases: Array<{ kind: ResultKind; valid: () => any; mutate: (r: any) => void; field: string }> = [
  {
    kind: 'eval',
    valid: () => load('fixtures/results/pgd-at-eval.json'),
    mutate: (r) => {
      r.splits.test.robust.accuracy = '0.5';
    },
    field: 'splits.test.robust.accuracy: expected number, received string',
  },
  {
    kind: 'landscape',
    valid: () => load('fixtures/results/pgd-at-filter-landscape.json'),
    mutate: (r) => {
      r.values.cleanLoss[0][3] = 'x';
    },
    field: 'values.cleanLoss[0][3]: expected number or null, received string',
  },
  {
    kind: 'flatness',
    valid: () => load('reports/awp-fashion-mnist/pgd-at-flatness.json'),
    mutate: (r) => {
      r.perDirection[2].clean = [1];
    },
    field: 'perDirection[2].clean: expected number, received array',
  },
  {
    kind: 'train log',
    valid: () => load('fixtures/results/pgd-at-log.json'),
    mutate: (r) => {
      r.epochs[1].test.robust = { loss: 1, accuracy: null };
    },
    field: 'epochs[1].test.robust.accuracy: expected number, received null',
  },
  {
    kind: 'correlation',
    valid: correlationExample,
    mutate: (r) => {
      r.points[1].x = { v: 1 };
    },
    field: 'points[1].x: expected number, received object',
  },
  {
    kind: 'baseline',
    valid: () => ({
      schema: 'weightscape.baseline/1',
      checks: [{ metric: 'gap.accuracy', direction: 'must-not-rise', value: 0.1, absolute: 0.01 }],
    }),
    mutate: (r) => {
      r.checks[0].value = '0.1';
    },
    field: 'checks[0].value: expected number, received string',
  },
];

for (const { kind, valid, mutate, field } of cases) {
  test(`${kind}: a valid example reads; a wrong type deep inside is one bad-file line naming the file and the field`, () => {
    const example = valid();
    const name = kind.replace(' ', '-');
    const read = readResult(write(`${name}.json`, example), kind);
    assert.equal((read as { schema: string }).schema, example.schema);
    mutate(example);
    const bad = write(`${name}-bad.json`, example);
    assert.throws(
      () => readResult(bad, kind),
      (e: unknown) => e instanceof WeightscapeError && e.code === 'bad-file' && e.message === `${bad}: ${field}`,
    );
    assert.throws(
      () => readAnyResult(bad),
      (e: unknown) => e instanceof WeightscapeError && e.message === `${bad}: ${field}`,
    );
  });
}

test('a landscape whose tables do not match its grid, or that is complete with a missing point, is refused', () => {
  const landscape = load('fixtures/results/pgd-at-filter-landscape.json');
  landscape.values.robustLoss[0].pop();
  const short = write('short.json', landscape);
  assert.throws(
    () => readLandscape(short),
    new RegExp(
      `^WeightscapeError: ${short}: values\\.robustLoss\\[0\\]: expected 11 values \\(one per α\\), found 10$`,
    ),
  );
  const holed = load('fixtures/results/pgd-at-filter-landscape.json');
  holed.values.cleanAccuracy[0][5] = null;
  assert.throws(
    () => readLandscape(write('holed.json', holed)),
    /values\.cleanAccuracy\[0\]\[5\]: null in a result marked complete/,
  );
});

test('the wrong kind, no schema tag, extra keys', () => {
  const evalPath = join(root, 'fixtures/results/pgd-at-eval.json');
  assert.throws(
    () => readResult(evalPath, 'landscape'),
    /pgd-at-eval\.json: not a landscape result \(schema "weightscape\.eval\/2"; expected weightscape\.landscape\/1\)/,
  );
  assert.throws(
    () => readResult(write('array.json', [1, 2]), 'eval'),
    /array\.json: not an eval result \(no schema tag \(a JSON array\)/,
  );
  // Unknown extra keys are kept (a newer weightscape may record more identity fields).
  const landscape = load('fixtures/results/pgd-at-filter-landscape.json');
  landscape.settings.checkpointSha256 = 'abc';
  assert.equal(
    (readLandscape(write('extra.json', landscape)).settings as unknown as Record<string, unknown>).checkpointSha256,
    'abc',
  );
  assert.deepEqual(readAnyResult(write('other.json', { metric: 1 })), { kind: undefined, json: { metric: 1 } });
});

test('report: a result with the right tag and a wrong structure exits 2 naming the file and the field', () => {
  const landscape = load('fixtures/results/pgd-at-filter-landscape.json');
  landscape.provenance = null;
  const bad = write('no-provenance.json', landscape);
  const bin = join(root, 'bin/weightscape.js');
  const report = spawnSync(
    process.execPath,
    [bin, 'report', join(root, 'fixtures/results/pgd-at-eval.json'), bad, '--out', join(dir, 'report')],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(report.status, 2, report.stderr);
  assert.match(report.stderr.trim(), new RegExp(`${bad}: provenance: expected object, received null$`));
  assert.equal(report.stderr.trim().split('\n').length, 1);
});
