/**
 * Property tests of the parsers of user strings: for any input, parseAttack and parseDataSpec
 * either return a value or throw a user error (exit 2) with one line; never another exception.
 * Fixed seed and bounded runs, so `npm test` is reproducible and quick.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAttack, MAX_ATTACK_RESTARTS, MAX_ATTACK_STEPS, parseAttack } from '../../src/attacks/attack-spec.ts';
import { parseDataSpec } from '../../src/data/dataset.ts';
import { WeightscapeError } from '../../src/errors.ts';

const RUNS = { seed: 15, numRuns: 400 };

const VALID_ATTACKS = [
  'none',
  'pgd:linf:eps=8/255:steps=10:step=2/255',
  'pgd:l2:eps=0.5:steps=20:random-start=0:restarts=3:loss=cw',
  'fgsm:eps=0.1',
  'trades:eps=8/255:steps=10:step=2/255',
  'pgd:eps=0.1',
  'apgd:linf:eps=8/255:loss=dlr:steps=100:restarts=1',
  'apgd-t:l2:eps=0.5:targets=9',
  'square:linf:eps=8/255:queries=5000:p-init=0.8',
  'autoattack:linf:eps=8/255',
  'autoattack:l2:eps=0.5:version=rand',
  'autoattack:linf:eps=0.1:version=custom:attacks=apgd-ce+square:steps=20:queries=300',
];
const VALID_DATA = [
  'mini',
  'fashion-mnist',
  'mnist:/data/mnist',
  'cifar10:/data/cifar-10-batches-bin',
  'cifar100:/d',
  'npy:x.npy,y.npy',
];
const ATTACK_TOKENS = [
  'pgd',
  'fgsm',
  'trades',
  'apgd',
  'apgd-t',
  'square',
  'autoattack',
  'version',
  'custom',
  'attacks',
  'apgd-ce+apgd-t',
  'queries',
  'targets',
  'none',
  'linf',
  'l2',
  'eps',
  'steps',
  'step',
  'restarts',
  'random-start',
  'loss',
  'ce',
  'cw',
  '=',
  ':',
  '/',
  '8',
  '255',
  '0',
  '-1',
  '1e9',
  '1e400',
  'NaN',
  'Infinity',
  '0x10',
  ' ',
  '',
  '\n',
  '\u001b[31m',
  '__proto__',
  'constructor',
  '1000000000',
  '100001',
  '1.5',
];
const DATA_TOKENS = [
  'mini',
  'mnist',
  'fashion-mnist',
  'cifar10',
  'cifar100',
  'npy',
  ':',
  ',',
  '/',
  '.npy',
  '',
  ' ',
  '\n',
  '\u0000',
  '..',
  '__proto__',
];
const CHARS = [':', '=', '/', ',', ' ', '\n', '\u001b', '0', '9', 'e', '-', '.', 'x', '\u2028'];

/** A valid spec with a few edits: insertions, deletions and replacements of characters. */
function mutated(valid: string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...CHARS));
  return fc.tuple(fc.constantFrom(...valid), fc.array(edit, { maxLength: 4 })).map(([text, edits]) =>
    edits.reduce((s, [at, kind, c]) => {
      const i = s.length === 0 ? 0 : at % s.length;
      return kind === 'insert'
        ? s.slice(0, i) + c + s.slice(i)
        : kind === 'delete'
          ? s.slice(0, i) + s.slice(i + 1)
          : s.slice(0, i) + c + s.slice(i + 1);
    }, text),
  );
}

/** Random strings, token soups and mutations of valid specs. */
function inputs(valid: string[], tokens: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.array(fc.constantFrom(...tokens), { maxLength: 12 }).map((parts) => parts.join('')),
    mutated(valid),
  );
}

/** Runs `parse`; a throw must be a user error with a one-line message. Returns the value or undefined. */
function parsedOrUserError<T>(parse: (text: string) => T, text: string): T | undefined {
  try {
    return parse(text);
  } catch (error) {
    assert.ok(error instanceof WeightscapeError, `${JSON.stringify(text)}: ${String(error)}`);
    assert.ok(error.isUserError, `${JSON.stringify(text)}: code ${error.code}`);
    assert.ok(
      error.message.length > 0 && !/[\n\r\u2028\u2029\u001b]/.test(error.message),
      `${JSON.stringify(text)}: message ${JSON.stringify(error.message)}`,
    );
    return undefined;
  }
}

test('parseAttack: any string gives a spec within the bounds (and its canonical form parses back to it) or a one-line user error', () => {
  fc.assert(
    fc.property(inputs(VALID_ATTACKS, ATTACK_TOKENS), (text) => {
      const spec = parsedOrUserError(parseAttack, text);
      if (spec === undefined || spec.kind === 'none') return;
      const loops = spec.kind === 'autoattack' ? spec.members : [spec];
      for (const v of [spec.eps, ...loops.map((s) => ('step' in s ? s.step : 0))])
        assert.ok(Number.isFinite(v) && v >= 0, `${JSON.stringify(text)}: ${JSON.stringify(spec)}`);
      for (const loop of loops) {
        const count = loop.kind === 'square' ? loop.queries : loop.steps;
        assert.ok(Number.isInteger(count) && count <= MAX_ATTACK_STEPS);
        if ('restarts' in loop)
          assert.ok(Number.isInteger(loop.restarts) && loop.restarts >= 1 && loop.restarts <= MAX_ATTACK_RESTARTS);
      }
      assert.deepEqual(parseAttack(formatAttack(spec)), spec);
    }),
    RUNS,
  );
});

test('parseDataSpec: any string gives a spec of a known kind or a one-line user error', () => {
  fc.assert(
    fc.property(inputs(VALID_DATA, DATA_TOKENS), (text) => {
      const spec = parsedOrUserError(parseDataSpec, text);
      if (spec === undefined) return;
      assert.ok(['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'npy', 'mini'].includes(spec.kind));
      assert.ok(
        spec.paths.length === (spec.kind === 'npy' ? 2 : 1) && spec.paths.every((p) => p.length > 0),
        JSON.stringify(spec),
      );
    }),
    RUNS,
  );
});

test('the generators reach both outcomes: valid specs parse, hostile ones are refused', () => {
  for (const text of VALID_ATTACKS) assert.ok(parsedOrUserError(parseAttack, text) !== undefined, text);
  for (const text of VALID_DATA) assert.ok(parsedOrUserError(parseDataSpec, text) !== undefined, text);
  for (const text of [
    'pgd:linf:eps=0.1:steps=1000000000',
    'pgd:eps=0.1:restarts=1e9',
    'pgd:linf:eps=0.1:\u001b[2J=1\n',
  ])
    assert.equal(parsedOrUserError(parseAttack, text), undefined, text);
  assert.equal(parsedOrUserError(parseDataSpec, 'cifar10\n'), undefined);
});
