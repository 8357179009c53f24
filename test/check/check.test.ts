import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASELINE_SCHEMA, type Baseline } from '../../src/check/baseline.ts';
import { checkResult, runChecks } from '../../src/check/run-checks.ts';
import { CHECK_SCHEMA } from '../../src/results/check-schema.ts';
import { metricAt } from '../../src/results/metric-path.ts';
import { parseResult, readResult } from '../../src/results/read-result.ts';
import { WeightscapeError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-check-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const result = {
  path: 'eval.json',
  json: {
    splits: { test: { robust: { accuracy: 0.42, loss: 1.5 } } },
    gap: { accuracy: 0.1 },
    epochs: [{ gap: { accuracy: 0.2 } }, { gap: { accuracy: 0.3 } }],
  },
};

function verdict(check: Baseline['checks'][number]) {
  return runChecks({ schema: BASELINE_SCHEMA, checks: [check] }, [result])[0]!;
}

test('must-not-fall, must-not-rise and within, with absolute and relative tolerances', () => {
  const ROBUST = 'splits.test.robust.accuracy';
  const LOSS = 'splits.test.robust.loss';
  const cases: Array<[Baseline['checks'][number], boolean]> = [
    [{ metric: ROBUST, direction: 'must-not-fall', value: 0.43, absolute: 0.02 }, true],
    [{ metric: ROBUST, direction: 'must-not-fall', value: 0.45, absolute: 0.02 }, false],
    // relative: slack 10% of 0.5 = 0.05 → 0.42 < 0.45 fails; 5% of 0.44 = 0.022 → 0.42 ≥ 0.418 holds.
    [{ metric: ROBUST, direction: 'must-not-fall', value: 0.5, relative: 0.1 }, false],
    [{ metric: ROBUST, direction: 'must-not-fall', value: 0.44, relative: 0.05 }, true],
    [{ metric: 'gap.accuracy', direction: 'must-not-rise', value: 0.08, absolute: 0.01 }, false],
    [{ metric: 'gap.accuracy', direction: 'must-not-rise', value: 0.095, absolute: 0.01 }, true],
    [{ metric: LOSS, direction: 'within', value: 1.4, relative: 0.05 }, false],
    [{ metric: LOSS, direction: 'within', value: 1.45, relative: 0.05 }, true],
  ];
  for (const [check, passed] of cases) assert.equal(verdict(check).passed, passed, JSON.stringify(check));
  // both tolerances: the larger slack counts (0.1 absolute vs 1% relative).
  assert.deepEqual(
    verdict({ metric: 'splits.test.robust.loss', direction: 'within', value: 1.45, absolute: 0.1, relative: 0.01 })
      .allowed,
    [1.45 - 0.1, 1.45 + 0.1],
  );
  assert.equal(metricAt(result.json, 'epochs.last.gap.accuracy'), 0.3);
  assert.equal(metricAt(result.json, 'epochs.0.gap.accuracy'), 0.2);
});

test('check verdicts as a weightscape.check/1 result: ±Infinity bounds become null and it validates as a check result', () => {
  const verdicts = [
    verdict({ metric: 'splits.test.robust.accuracy', direction: 'must-not-fall', value: 0.43, absolute: 0.02 }),
    verdict({ metric: 'gap.accuracy', direction: 'must-not-rise', value: 0.08, absolute: 0.01 }),
    verdict({ metric: 'splits.test.robust.loss', direction: 'within', value: 1.45, absolute: 0.1 }),
  ];
  const json = JSON.parse(JSON.stringify(checkResult(verdicts))) as unknown;
  const parsed = parseResult(json, 'check.json', 'check');
  assert.equal(parsed.schema, CHECK_SCHEMA);
  assert.deepEqual(
    parsed.verdicts.map((v) => v.allowed),
    [
      [0.43 - 0.02, null],
      [null, 0.08 + 0.01],
      [1.45 - 0.1, 1.45 + 0.1],
    ],
  );
  assert.deepEqual(
    parsed.verdicts.map((v) => v.passed),
    [true, false, true],
  );
  assert.throws(
    () =>
      parseResult({ ...(json as object), verdicts: [{ ...parsed.verdicts[0], allowed: [1] }] }, 'check.json', 'check'),
    /check\.json: verdicts\[0\]\.allowed/,
  );
});

test('a missing metric is an error, not a pass', () => {
  assert.throws(
    () => verdict({ metric: 'splits.train.robust.accuracy', direction: 'must-not-fall', value: 0.4, absolute: 0.1 }),
    (e: unknown) =>
      e instanceof WeightscapeError && /eval\.json: has no number at 'splits\.train\.robust\.accuracy'/.test(e.message),
  );
});

test('the check command: exit 0, 1 and 2; JUnit XML; invalid baselines; --update-baseline', () => {
  const bin = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  const resultPath = join(dir, 'eval.json');
  writeFileSync(resultPath, JSON.stringify(result.json));
  const baselinePath = join(dir, 'baseline.json');
  const baseline = (checks: unknown[]) =>
    writeFileSync(baselinePath, JSON.stringify({ schema: BASELINE_SCHEMA, checks }));
  baseline([{ metric: 'splits.test.robust.accuracy', direction: 'must-not-fall', value: 0.41, absolute: 0.02 }]);
  const ok = run('check', '--baseline', baselinePath, resultPath, '--junit', join(dir, 'ok.xml'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /all 1 checks hold/);
  assert.match(
    readFileSync(join(dir, 'ok.xml'), 'utf8'),
    /<testsuite name="weightscape check" tests="1" failures="0">/,
  );
  baseline([
    { metric: 'splits.test.robust.accuracy', direction: 'must-not-fall', value: 0.5, absolute: 0.02 },
    { metric: 'gap.accuracy', direction: 'must-not-rise', value: 0.1, relative: 0.1 },
  ]);
  const regressed = run('check', '--baseline', baselinePath, resultPath, '--junit', join(dir, 'fail.xml'));
  assert.equal(regressed.status, 1);
  assert.match(regressed.stdout, /FAIL {2}splits\.test\.robust\.accuracy/);
  assert.match(regressed.stdout, /1 of 2 checks regress/);
  assert.match(
    readFileSync(join(dir, 'fail.xml'), 'utf8'),
    /<failure message="[^"]*splits\.test\.robust\.accuracy = 0\.42, allowed \[0\.48/,
  );
  // --json: the same verdicts as a weightscape.check/1 result, unbounded sides null.
  const json = run('check', '--baseline', baselinePath, resultPath, '--json');
  assert.equal(json.status, 1);
  writeFileSync(join(dir, 'check.json'), json.stdout);
  const verdicts = readResult(join(dir, 'check.json'), 'check').verdicts;
  assert.deepEqual(
    verdicts.map((v) => [v.check.metric, v.actual, v.passed]),
    [
      ['splits.test.robust.accuracy', 0.42, false],
      ['gap.accuracy', 0.1, true],
    ],
  );
  assert.equal(verdicts[0]!.allowed[1], null);
  assert.equal(verdicts[1]!.allowed[0], null);
  assert.ok(Math.abs(verdicts[1]!.allowed[1]! - 0.11) < 1e-12);
  baseline([{ metric: 'splits.test.robust.accuracy', direction: 'rises', value: 0.5, absolute: 0.02 }]);
  const invalid = run('check', '--baseline', baselinePath, resultPath);
  assert.equal(invalid.status, 2);
  assert.match(invalid.stderr.trim(), /baseline\.json: checks\[0\]\.direction: /);
  baseline([{ metric: 'splits.test.robust.accuracy', direction: 'must-not-fall', value: 0.5 }]);
  assert.match(
    run('check', '--baseline', baselinePath, resultPath).stderr,
    /needs an absolute or a relative tolerance/,
  );
  baseline([{ metric: 'nope', direction: 'within', value: 1, absolute: 1 }]);
  const missing = run('check', '--baseline', baselinePath, resultPath);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /has no number at 'nope'/);
  baseline([{ metric: 'splits.test.robust.accuracy', direction: 'must-not-fall', value: 0.5, absolute: 0.02 }]);
  assert.equal(run('check', '--baseline', baselinePath, resultPath, '--update-baseline').status, 0);
  const updated = JSON.parse(readFileSync(baselinePath, 'utf8')) as Baseline;
  assert.equal(updated.checks[0]!.value, 0.42);
  assert.equal(updated.checks[0]!.absolute, 0.02);
  assert.equal(run('check', '--baseline', baselinePath, resultPath).status, 0);
});
