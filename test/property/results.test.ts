/**
 * Property tests of the result readers: for every generated or mutated JSON file, readResult (each
 * kind), readAnyResult and readBaseline either succeed or throw one bad-file WeightscapeError of
 * one line naming the file; never another exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { readBaseline } from '../../src/check/baseline.ts';
import { WeightscapeError } from '../../src/errors.ts';
import {
  parseResult,
  readAnyResult,
  readResult,
  RESULT_KINDS,
  type ResultKind,
} from '../../src/results/read-result.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-property-results-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const RUNS = { seed: 15, numRuns: 150 };
const KINDS = Object.keys(RESULT_KINDS) as ResultKind[];
const load = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as unknown;
const EXAMPLES: Array<{ kind: ResultKind; json: unknown }> = [
  { kind: 'eval', json: load('fixtures/results/pgd-at-eval.json') },
  { kind: 'landscape', json: load('fixtures/results/pgd-at-adversarial-landscape.json') },
  { kind: 'flatness', json: load('reports/awp-fashion-mnist/pgd-at-awp-flatness.json') },
  { kind: 'train log', json: load('fixtures/results/pgd-at-awp-log.json') },
  { kind: 'hessian', json: load('fixtures/results/hessian.json') },
  {
    kind: 'baseline',
    json: {
      schema: 'weightscape.baseline/1',
      checks: [
        { metric: 'gap.accuracy', direction: 'within', value: 0.1, relative: 0.1 },
        { result: 'a.json', metric: 'x', direction: 'must-not-fall', value: 1, absolute: 0 },
      ],
    },
  },
];

/** Succeeds, or fails with the user error this reader promises: bad-file, one line, naming the file. */
function userErrorOrSuccess(read: () => unknown, path: string): void {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof WeightscapeError, `not a WeightscapeError: ${String(error)}`);
    assert.equal(error.code, 'bad-file');
    assert.ok(!error.message.includes('\n'), `one line: ${JSON.stringify(error.message)}`);
    assert.ok(error.message.startsWith(`${path}: `), error.message);
  }
}

/** Every path into a JSON value (objects and arrays), the root included. */
function paths(
  value: unknown,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
): Array<Array<string | number>> {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function replaced(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[path[0]!] = replaced(copy[path[0]!], path.slice(1), replacement);
  return copy;
}

const tagged = fc.oneof(
  fc.jsonValue(),
  fc
    .record({ schema: fc.constantFrom(...KINDS.flatMap((k) => RESULT_KINDS[k].tags)) }, { requiredKeys: ['schema'] })
    .chain((base) => fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }).map((rest) => ({ ...rest, ...base }))),
);

test('generated JSON, tagged or not: every reader succeeds or gives one bad-file line', () => {
  const path = join(dir, 'generated.json');
  fc.assert(
    fc.property(tagged, (json) => {
      writeFileSync(path, JSON.stringify(json));
      for (const kind of KINDS) userErrorOrSuccess(() => readResult(path, kind), path);
      userErrorOrSuccess(() => readAnyResult(path), path);
      userErrorOrSuccess(() => readBaseline(path), path);
    }),
    RUNS,
  );
});

test('valid results with one value replaced anywhere: the reader succeeds or names the file', () => {
  const cases = EXAMPLES.map(({ kind, json }) => ({ kind, json, paths: paths(json) }));
  fc.assert(
    fc.property(fc.nat(cases.length - 1), fc.nat(), fc.jsonValue({ maxDepth: 2 }), (which, where, replacement) => {
      const { kind, json, paths: all } = cases[which]!;
      const mutated = replaced(json, all[where % all.length]!, replacement);
      userErrorOrSuccess(() => parseResult(mutated, 'mutated.json', kind), 'mutated.json');
    }),
    { ...RUNS, numRuns: 400 },
  );
});

test('baselines: generated checks and arbitrary text files give a baseline or one bad-file line', () => {
  const path = join(dir, 'baseline.json');
  const check = fc.record(
    {
      result: fc.string(),
      metric: fc.string(),
      direction: fc.oneof(fc.constantFrom('must-not-rise', 'must-not-fall', 'within'), fc.string()),
      value: fc.oneof(fc.double(), fc.jsonValue()),
      absolute: fc.oneof(fc.double(), fc.jsonValue()),
      relative: fc.double(),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const baseline = fc.record(
    {
      schema: fc.oneof(fc.constant('weightscape.baseline/1'), fc.string()),
      checks: fc.oneof(fc.array(check, { maxLength: 4 }), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(
      fc.oneof(
        baseline.map((b) => JSON.stringify(b)),
        fc.string(),
        fc.string({ unit: 'binary' }),
      ),
      (text) => {
        writeFileSync(path, text);
        userErrorOrSuccess(() => readBaseline(path), path);
      },
    ),
    RUNS,
  );
});
