/** `weightscape report --log-y`: a loss ≤ 0 refuses the log scale with a note on stderr; the curves are linear. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../fixtures/results/pgd-at-filter-landscape.json', import.meta.url));

test('report --log-y with a zero loss: exit 0, the note on stderr, a linear axis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-report-flags-'));
  try {
    const landscape = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { values: { cleanLoss: number[][] } };
    landscape.values.cleanLoss[0]![0] = 0;
    const input = join(dir, 'zero.json');
    writeFileSync(input, JSON.stringify(landscape));
    const run = spawnSync(process.execPath, [BIN, 'report', input, '--out', join(dir, 'out'), '--log-y'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /weightscape: note: --log-y: zero has a loss of 0 ≤ 0, .* drawn on a linear scale/);
    const svg = readFileSync(join(dir, 'out', 'flatness-curves.svg'), 'utf8');
    assert.match(svg, /class="y-label"[^>]*>loss \(cross-entropy\)</);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
