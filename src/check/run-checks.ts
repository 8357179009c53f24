/** Applies a baseline to result files: one verdict per check, and JUnit XML for CI systems. */
import { basename } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import { CHECK_SCHEMA, type CheckResult, type CheckVerdict } from '../results/check-schema.ts';
import { metricAt, type NamedResult } from '../results/metric-path.ts';
import { assertWholeRun } from '../results/whole-run.ts';
import { slack, type Baseline, type BaselineCheck } from './baseline.ts';

/** A verdict as computed: the bound [low, high] with ±Infinity on an unbounded side (null in the JSON). */
export type Verdict = Omit<CheckVerdict, 'allowed'> & { allowed: [number, number] };

function sourceFor(check: BaselineCheck, results: NamedResult[]): NamedResult {
  if (check.result === undefined) {
    if (results.length !== 1)
      throw new WeightscapeError(
        'bad-argument',
        `check ${check.metric}: several results given; name one with "result" in the baseline`,
      );
    return results[0]!;
  }
  const match = results.find((r) => basename(r.path) === check.result || r.path === check.result);
  if (match === undefined)
    throw new WeightscapeError('bad-argument', `check ${check.metric}: no result file named ${check.result} was given`);
  return match;
}

/** One verdict per check of the baseline, each on the result it names. */
export function runChecks(baseline: Baseline, results: NamedResult[]): Verdict[] {
  return baseline.checks.map((check) => {
    const source = sourceFor(check, results);
    assertWholeRun(source.path, source.json);
    const actual = metricAt(source.json, check.metric);
    if (actual === undefined)
      throw new WeightscapeError(
        'bad-file',
        `${source.path}: has no number at '${check.metric}' (a missing metric is an error, not a pass)`,
      );
    const s = slack(check);
    const allowed: [number, number] =
      check.direction === 'must-not-fall'
        ? [check.value - s, Infinity]
        : check.direction === 'must-not-rise'
          ? [-Infinity, check.value + s]
          : [check.value - s, check.value + s];
    return { check, source: source.path, actual, allowed, passed: actual >= allowed[0] && actual <= allowed[1] };
  });
}

/** The baseline with its values replaced by the results' (directions and tolerances kept). */
export function updatedBaseline(baseline: Baseline, verdicts: Verdict[]): Baseline {
  return { ...baseline, checks: baseline.checks.map((check, i) => ({ ...check, value: verdicts[i]!.actual })) };
}

/** The verdicts as a `weightscape.check/1` result (JSON writes no infinity: an unbounded side is null). */
export function checkResult(verdicts: Verdict[]): CheckResult {
  const bound = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    schema: CHECK_SCHEMA,
    verdicts: verdicts.map((v) => ({ ...v, allowed: [bound(v.allowed[0]), bound(v.allowed[1])] })),
  };
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

export function junitXml(verdicts: Verdict[]): string {
  const failures = verdicts.filter((v) => !v.passed).length;
  const cases = verdicts.map((v) => {
    const name = escapeXml(`${v.check.metric} ${v.check.direction}`);
    const detail = escapeXml(
      `${v.source}: ${v.check.metric} = ${v.actual}, allowed [${v.allowed[0]}, ${v.allowed[1]}] (baseline ${v.check.value})`,
    );
    const failure = v.passed ? '' : `\n      <failure message="${detail}">${detail}</failure>\n    `;
    return `    <testcase classname="weightscape.check" name="${name}">${failure}</testcase>`;
  });
  const counts = `tests="${verdicts.length}" failures="${failures}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${counts}>`,
    `  <testsuite name="weightscape check" ${counts}>`,
    cases.join('\n'),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function verdictTable(verdicts: Verdict[]): string {
  const bound = (v: Verdict) =>
    v.check.direction === 'must-not-fall'
      ? `≥ ${v.allowed[0].toPrecision(6)}`
      : v.check.direction === 'must-not-rise'
        ? `≤ ${v.allowed[1].toPrecision(6)}`
        : `in [${v.allowed[0].toPrecision(6)}, ${v.allowed[1].toPrecision(6)}]`;
  const rows = verdicts.map(
    (v) =>
      `${v.passed ? 'ok  ' : 'FAIL'}  ${v.check.metric.padEnd(36)} ${String(v.actual.toPrecision(6)).padStart(12)}  ` +
      `${bound(v).padEnd(28)} ${basename(v.source)}`,
  );
  const failed = verdicts.filter((v) => !v.passed).length;
  return [
    `${'    '}  ${'metric'.padEnd(36)} ${'actual'.padStart(12)}  ${'allowed'.padEnd(28)} result`,
    ...rows,
    failed === 0 ? `all ${verdicts.length} checks hold` : `${failed} of ${verdicts.length} checks regress`,
  ].join('\n');
}
