import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml } from '../../src/report/escape-html.ts';

test('escapeHtml escapes the five HTML characters and leaves the rest', () => {
  assert.equal(
    escapeHtml(`<a href="x">Tom & Jerry's</a> ±1`),
    '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt; ±1',
  );
});
