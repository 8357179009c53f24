/**
 * The rotatable 3D surface in headless chromium: index.html draws it from its inline data with no
 * network, and a drag turns it (the angles change and so does the rendered image). Skipped where
 * /usr/bin/chromium is absent, except in CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../../src/report/build-report.ts';
import type { LandscapeResult } from '../../src/results/landscape-schema.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip =
  existsSync(CHROMIUM) || process.env.WEIGHTSCAPE_REQUIRE_BROWSER === '1'
    ? false
    : 'no /usr/bin/chromium here (.ci/run installs it)';

const alphas = Array.from({ length: 11 }, (_, i) => -1 + i / 5);
const betas = Array.from({ length: 9 }, (_, i) => -1 + i / 4);
const surface = betas.map((b) => alphas.map((a) => 0.2 + a * a + 2 * b * b + 0.3 * a * b));
const landscape = {
  schema: 'weightscape.landscape/1',
  grid: { alphas, betas, layout: '' },
  complete: true,
  settings: { checkpoint: 'runs/model.safetensors', data: 'mini', split: 'test', subset: 32, bn: 'eval', seed: 0 },
  directions: [{ spec: 'filter' }, { spec: 'filter' }],
  values: { cleanLoss: surface, cleanAccuracy: surface, robustLoss: null, robustAccuracy: null },
  flatness: null,
  provenance: { checkpoint: { sha256: 'abc' } },
} as unknown as LandscapeResult;

test('index.html turns the 3D surface on a drag, offline', { skip }, async () => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-surface-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const { files } = buildReport(
      {
        landscapes: [{ label: 'bowl', result: landscape }],
        evals: [],
        runs: [],
        correlations: [],
        studies: [],
        hessians: [],
      },
      { width: 560, height: 340 },
    );
    assert.ok(files['surface-bowl-clean.svg'] !== undefined, Object.keys(files).join(', '));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) requests.push(request.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    const view = page.locator('.surface-view svg');
    await view.scrollIntoViewIfNeeded();
    const drawn = await view.evaluate((svg) => svg.querySelectorAll('path').length);
    assert.equal(drawn, 10 * 8, 'one path per quad');
    const angles = () => page.locator('.surface-angles').textContent();
    assert.equal(await angles(), 'azimuth -60°, elevation 30°');
    const before = await view.screenshot();
    const box = (await view.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 20, { steps: 5 });
    await page.mouse.up();
    assert.equal(await angles(), 'azimuth -20°, elevation 40°');
    const after = await view.screenshot();
    assert.notDeepEqual(after, before, 'the drag changed the rendered surface');
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [], 'no request leaves the page');
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
