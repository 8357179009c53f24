import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

test('weightscape demo (1 epoch) writes the whole report and prints the gap and flatness table', () => {
  const bin = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
  const out = join(mkdtempSync(join(tmpdir(), 'weightscape-demo-')), 'demo');
  try {
    const run = spawnSync(process.execPath, [bin, 'demo', '--epochs', '1', '--out', out], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^report: .*index\.html/m);
    assert.match(run.stdout, /^pgd-at\s+\d+\.\d%\s+\d+\.\d%\s+-?\d+\.\d\s+\d+\.\d%/m);
    assert.match(run.stdout, /^pgd-at-awp\s+/m);
    for (const file of [
      'index.html',
      'combined.svg',
      'flatness-curves.svg',
      'adversarial-direction-curves.svg',
      'training-curves.svg',
      'gap-table.md',
      'pgd-at/model.safetensors',
      'pgd-at-awp/log.json',
      'pgd-at-eval.json',
      'pgd-at-awp-adversarial-landscape.json',
    ]) {
      assert.ok(existsSync(join(out, file)), `${file} written`);
    }
    assert.equal(JSON.parse(readFileSync(join(out, 'pgd-at-awp', 'log.json'), 'utf8')).config.awp, true);
    const again = spawnSync(process.execPath, [bin, 'demo', '--epochs', '1', '--out', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(again.status, 2, 'an existing demo report is not overwritten without --force');
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
});

test("demo's default --out is not the committed example, so `npx weightscape demo` with no flags runs on a fresh clone", async () => {
  const { buildProgram } = await import('../../cli/main.ts');
  const demo = buildProgram().commands.find((c) => c.name() === 'demo')!;
  const out = demo.options.find((o) => o.long === '--out')!.defaultValue as string;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tracked = spawnSync('git', ['ls-files', out], { cwd: root, encoding: 'utf8' });
  if (tracked.error !== undefined) return; // not a git checkout (an unpacked package): nothing is committed
  assert.equal(
    tracked.stdout,
    '',
    `${out} holds committed files, so a plain demo run on a fresh clone refuses to replace them`,
  );
  assert.equal(
    spawnSync('git', ['check-ignore', '-q', `${out}/index.html`], { cwd: root }).status,
    0,
    `${out} is ignored by git`,
  );
});
