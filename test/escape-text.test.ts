import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable, printableJson } from '../src/escape-text.ts';

test('printable escapes C0, DEL, C1, line separators and bidi overrides, and nothing else', () => {
  assert.equal(printable('a\nb\r\tc\0'), 'a\\nb\\r\\tc\\0');
  assert.equal(printable('\u001b[31mred\u0007\u007f\u009b'), '\\x1b[31mred\\x07\\x7f\\x9b');
  assert.equal(printable('x\u2028y\u202ez\u2066'), 'x\\u2028y\\u202ez\\u2066');
  assert.equal(printable('conv1.weight ß µ ✓ C:\\path'), 'conv1.weight ß µ ✓ C:\\path');
  assert.equal(printable(printable('\u001b\n')), '\\x1b\\n', 'idempotent');
});

test('printableJson keeps the JSON value and its layout while escaping what JSON.stringify leaves raw', () => {
  const value = { 'k\u009bey': ['v\u2028x', 'a\u001bb'], n: 1 };
  const json = printableJson(JSON.stringify(value, null, 2));
  assert.deepEqual(JSON.parse(json), value);
  assert.doesNotMatch(json, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028]/);
  assert.match(json, /"k\\u009bey"/);
});
