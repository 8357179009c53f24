import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkResult, runChecks } from '../../src/check/run-checks.ts';
import { BASELINE_SCHEMA, type Baseline } from '../../src/results/baseline-schema.ts';
import { jsonSchema, jsonSchemaFiles } from '../../src/results/json-schemas.ts';
import { parseResult, type ResultKind } from '../../src/results/read-result.ts';
import { correlateResults } from '../../src/stats/correlate-results.ts';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(root(path), 'utf8')) as unknown;

type Schema = Record<string, unknown>;

const jsonType = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

/**
 * A small JSON Schema validator for the keywords the generated schemas use; it throws on any other
 * keyword, so a schema that starts using one fails here instead of being half checked.
 * Returns one line per violation ('path: problem').
 */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const sub = (s: unknown, v: unknown, p: string) => validate(s as Schema, v, p);
  for (const [keyword, arg] of Object.entries(schema)) {
    const a = arg as never;
    switch (keyword) {
      case '$schema':
      case 'title':
      case '$comment':
      case 'default':
        break;
      case 'type': {
        const types = (Array.isArray(arg) ? arg : [arg]) as string[];
        const t = jsonType(value);
        if (!types.includes(t) && !(t === 'integer' && types.includes('number')))
          errors.push(`${path}: expected ${types.join(' or ')}, got ${t}`);
        break;
      }
      case 'const':
        if (value !== arg) errors.push(`${path}: expected ${JSON.stringify(arg)}`);
        break;
      case 'enum':
        if (!(arg as unknown[]).includes(value)) errors.push(`${path}: not one of ${JSON.stringify(arg)}`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < a) errors.push(`${path}: below ${arg}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > a) errors.push(`${path}: above ${arg}`);
        break;
      case 'exclusiveMinimum':
        if (typeof value === 'number' && value <= a) errors.push(`${path}: not above ${arg}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && [...value].length < a) errors.push(`${path}: shorter than ${arg}`);
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < a) errors.push(`${path}: fewer than ${arg} items`);
        break;
      case 'maxItems':
        if (Array.isArray(value) && value.length > a) errors.push(`${path}: more than ${arg} items`);
        break;
      case 'prefixItems':
        if (Array.isArray(value))
          (arg as unknown[]).forEach((s, i) => {
            if (i < value.length) errors.push(...sub(s, value[i], `${path}[${i}]`));
          });
        break;
      case 'items':
        if (Array.isArray(value))
          value.forEach((v, i) => {
            if (i >= ((schema.prefixItems as unknown[] | undefined)?.length ?? 0))
              errors.push(...sub(arg, v, `${path}[${i}]`));
          });
        break;
      case 'anyOf':
        if (!(arg as unknown[]).some((s) => sub(s, value, path).length === 0))
          errors.push(`${path}: matches none of anyOf`);
        break;
      case 'required':
        if (jsonType(value) === 'object')
          for (const key of arg as string[]) if (!(key in (value as object))) errors.push(`${path}: missing ${key}`);
        break;
      case 'properties':
        if (jsonType(value) === 'object') {
          for (const [key, s] of Object.entries(arg as Schema))
            if (key in (value as object)) errors.push(...sub(s, (value as Schema)[key], `${path}.${key}`));
        }
        break;
      case 'propertyNames':
        if (jsonType(value) === 'object')
          for (const key of Object.keys(value as object)) errors.push(...sub(arg, key, `${path} key ${key}`));
        break;
      case 'additionalProperties':
        if (jsonType(value) === 'object' && arg !== true) {
          const named = Object.keys((schema.properties ?? {}) as object);
          for (const [key, v] of Object.entries(value as Schema)) {
            if (named.includes(key)) continue;
            if (arg === false) errors.push(`${path}: unexpected key ${key}`);
            else errors.push(...sub(arg, v, `${path}.${key}`));
          }
        }
        break;
      default:
        throw new Error(`the test's validator does not know the JSON Schema keyword ${keyword} (at ${path})`);
    }
  }
  return errors;
}

test('schemas/ holds exactly the JSON Schemas generated from the zod schemas (run `npm run schemas` after changing one)', () => {
  const generated = jsonSchemaFiles();
  assert.deepEqual(
    readdirSync(root('schemas'))
      .filter((f) => f.endsWith('.json'))
      .sort(),
    generated.map((g) => g.file).sort(),
  );
  for (const { file, text } of generated)
    assert.equal(readFileSync(root(`schemas/${file}`), 'utf8'), text, `schemas/${file} is stale: run npm run schemas`);
});

const baseline: Baseline = {
  schema: BASELINE_SCHEMA,
  checks: [
    { metric: 'splits.test.robust.accuracy', direction: 'must-not-fall', value: 0.5, absolute: 0.01 },
    { metric: 'gap.accuracy', direction: 'must-not-rise', value: 0.2, relative: 0.1 },
  ],
};

/** A flatness and an eval result of one (made-up) checkpoint, as correlate pairs them. */
function pair(i: number): Array<{ path: string; json: unknown }> {
  const provenance = { checkpoint: { path: `c${i}.pt`, sha256: `sha${i}`, format: 'pytorch' } };
  return [
    {
      path: `c${i}-flatness.json`,
      json: { schema: 'weightscape.flatness/2', adversarial: { averageIncrease: 0.1 * i }, provenance },
    },
    {
      path: `c${i}-eval.json`,
      json: { schema: 'weightscape.eval/2', gap: { accuracy: 0.05 * i + (i % 2) * 0.01 }, provenance },
    },
  ];
}

/** One example of each kind: committed results of the demo and the AWP report, and outputs of the library. */
const examples: Array<[ResultKind, string, unknown]> = [
  ['eval', 'fixtures/results/pgd-at-eval.json', readJson('fixtures/results/pgd-at-eval.json')],
  [
    'landscape',
    'fixtures/results/pgd-at-filter-landscape.json',
    readJson('fixtures/results/pgd-at-filter-landscape.json'),
  ],
  [
    'flatness',
    'reports/awp-fashion-mnist/pgd-at-flatness.json',
    readJson('reports/awp-fashion-mnist/pgd-at-flatness.json'),
  ],
  ['train log', 'fixtures/results/pgd-at-log.json', readJson('fixtures/results/pgd-at-log.json')],
  [
    'correlation',
    'correlateResults(…)',
    JSON.parse(
      JSON.stringify(
        correlateResults([1, 2, 3, 4].flatMap(pair), 'adversarial.averageIncrease', 'gap.accuracy', {
          resamples: 50,
          permutations: 50,
        }),
      ),
    ),
  ],
  ['study', 'fixtures/results/study.json', readJson('fixtures/results/study.json')],
  ['hessian', 'fixtures/results/hessian.json', readJson('fixtures/results/hessian.json')],
  ['baseline', 'a baseline', baseline],
  [
    'check',
    'checkResult(runChecks(…))',
    JSON.parse(
      JSON.stringify(
        checkResult(runChecks(baseline, [{ path: 'eval.json', json: readJson('fixtures/results/pgd-at-eval.json') }])),
      ),
    ),
  ],
];

test('an example of each kind is valid under its JSON Schema (and under its zod schema)', () => {
  assert.deepEqual(
    examples.map(([kind]) => kind).sort(),
    jsonSchemaFiles()
      .map((f) => f.file.replace('.schema.json', '').replace('-', ' '))
      .sort(),
  );
  for (const [kind, name, json] of examples) {
    assert.deepEqual(validate(jsonSchema(kind), json), [], `${name} (${kind})`);
    parseResult(json, name, kind);
  }
});

test('the JSON Schemas reject what the zod schemas reject: a wrong tag, a missing field, a wrong type', () => {
  const byKind = new Map(examples.map(([kind, , json]) => [kind, json as Record<string, unknown>]));
  const evalResult = byKind.get('eval')!;
  assert.deepEqual(validate(jsonSchema('eval'), { ...evalResult, schema: 'weightscape.eval/1' }), [
    '$.schema: expected "weightscape.eval/2"',
  ]);
  const noProvenance = { ...evalResult };
  delete noProvenance.provenance;
  assert.deepEqual(validate(jsonSchema('eval'), noProvenance), ['$: missing provenance']);
  const landscape = byKind.get('landscape')!;
  const values = landscape.values as { cleanLoss: unknown[][] };
  const badTable = { ...landscape, values: { ...values, cleanLoss: [['0.5', ...values.cleanLoss[0]!.slice(1)]] } };
  assert.deepEqual(validate(jsonSchema('landscape'), badTable), [
    '$.values.cleanLoss[0][0]: expected number or null, got string',
  ]);
  // Strict kinds refuse unknown keys; a baseline check needs a tolerance (the zod refinement, as anyOf).
  assert.deepEqual(validate(jsonSchema('baseline'), { ...baseline, extra: 1 }), ['$: unexpected key extra']);
  assert.deepEqual(
    validate(jsonSchema('baseline'), {
      schema: BASELINE_SCHEMA,
      checks: [{ metric: 'gap.accuracy', direction: 'within', value: 0.1 }],
    }),
    ['$.checks[0]: matches none of anyOf'],
  );
  // Loose kinds accept keys a newer weightscape may add.
  assert.deepEqual(validate(jsonSchema('eval'), { ...evalResult, somethingNew: [1] }), []);
  // An unbounded side of a check's bound is null (JSON has no infinity).
  const check = byKind.get('check')! as { verdicts: Array<{ allowed: unknown[] }> };
  assert.deepEqual(
    check.verdicts.map((v) => v.allowed.map((b) => b === null)),
    [
      [false, true],
      [true, false],
    ],
  );
});
