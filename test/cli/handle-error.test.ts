import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleError } from '../../cli/handle-error.ts';
import { WeightscapeError } from '../../src/errors.ts';

function lines(error: unknown, debug = false) {
  const out: string[] = [];
  const code = handleError(error, debug, (line) => out.push(line));
  return { code, out };
}

test('an error quoting a hostile name prints one escaped line and exits 2', () => {
  const { code, out } = lines(
    new WeightscapeError('bad-file', "x.pt: tensor 'a\u001b[2J\nb' is bad", { suggestion: 'fix\rit' }),
  );
  assert.equal(code, 2);
  assert.deepEqual(out, ["weightscape: x.pt: tensor 'a\\x1b[2J\\nb' is bad (fix\\rit)"]);
});

test('internal errors are escaped too, and a --debug stack is printed line by line, escaped', () => {
  const { code, out } = lines(new Error('boom\n\u001b[31m'));
  assert.equal(code, 1);
  assert.deepEqual(out, ['weightscape: internal error: boom\\n\\x1b[31m (run with --debug for the stack trace)']);
  const debug = lines(new WeightscapeError('bad-file', 'p\u001b'), true);
  assert.ok(debug.out.length > 2);
  assert.ok(debug.out.every((line) => !/[\u0000-\u001f]/.test(line)));
});
