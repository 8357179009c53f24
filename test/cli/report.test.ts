import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticStudy } from '../report/study-fixture.ts';

test('weightscape report <study.json> writes the study panels and index.html', () => {
  const bin = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-report-cli-'));
  try {
    const study = join(dir, 'study.json');
    writeFileSync(study, JSON.stringify(syntheticStudy()));
    const out = join(dir, 'report');
    const run = spawnSync(process.execPath, [bin, 'report', study, '--out', out], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^wrote flatness-vs-gap-.*index\.html.*study-table\.svg to /m);
    for (const file of [
      'index.html',
      'robust-accuracy-by-epoch.svg',
      'landscape-by-epoch-pgd-at.svg',
      'flatness-vs-gap.svg',
    ])
      assert.ok(existsSync(join(out, file)), `${file} written`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
