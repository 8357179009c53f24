import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fileNamer, safeName } from '../../src/report/safe-file-name.ts';

test('safeName: lowercase [a-z0-9-], no leading, trailing or doubled dashes, never empty', () => {
  assert.equal(safeName('AWP <script>alert(1)</script> & "co"'), 'awp-script-alert-1-script-co');
  assert.equal(safeName('Über/../pgd.at'), 'uber-pgd-at');
  assert.equal(safeName('<>'), 'unnamed');
  assert.equal(safeName('x'.repeat(100)).length, 60);
  fc.assert(fc.property(fc.string(), (s) => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(safeName(s))));
});

test('fileNamer: a numeric suffix on collision, also with names taken before', () => {
  const name = fileNamer(['flatness-vs-gap.svg']);
  assert.equal(name('flatness-vs-gap', 'svg'), 'flatness-vs-gap-2.svg');
  assert.equal(name('a', 'svg'), 'a.svg');
  assert.equal(name('a', 'svg'), 'a-2.svg');
  assert.equal(name('a', 'md'), 'a.md');
  assert.equal(name('a', 'svg'), 'a-3.svg');
});
