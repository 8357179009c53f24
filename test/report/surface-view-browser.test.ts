/**
 * index.html in headless chromium: the rotatable 3D surface draws from its inline data with no
 * network and a drag turns it (the angles change and so does the rendered image); the light and the
 * dark theme both render with text contrast of at least 4.5:1 (WCAG AA); the numbers open under
 * each figure; print hides the navigation. Skipped where /usr/bin/chromium is absent, except in CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../../src/report/build-report.ts';
import type { LandscapeResult } from '../../src/results/landscape-schema.ts';
import { syntheticEval } from '../helpers/eval-result.ts';

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
const evalResult = syntheticEval(0.69, 0.553, 'abc');

/**
 * WCAG contrast of every visible text element against the background it sits on, the lowest three
 * first. A string, not a function: tsx adds helper calls to functions that page.evaluate would lose.
 */
const LOWEST_CONTRAST = `(() => {
  const luminance = (css) => {
    const [r, g, b] = (css.match(/[\\d.]+/g) || ['0', '0', '0']).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (element) => {
    for (let e = element; e !== null; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  const results = [];
  for (const e of document.querySelectorAll('h1, h2, h3, p, a, figcaption, summary, th, td, code, strong, caption')) {
    if (e.offsetParent === null || (e.textContent || '').trim() === '') continue;
    const [l1, l2] = [luminance(getComputedStyle(e).color), luminance(background(e))].sort((a, b) => b - a);
    results.push([e.tagName + ': ' + (e.textContent || '').slice(0, 30), (l1 + 0.05) / (l2 + 0.05)]);
  }
  return results.sort((a, b) => a[1] - b[1]).slice(0, 3);
})()`;

test(
  'index.html: the 3D surface turns on a drag, offline; both themes meet WCAG contrast; print',
  { skip },
  async (t) => {
    const { chromium } = await import('playwright-core');
    const dir = mkdtempSync(join(tmpdir(), 'weightscape-surface-'));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const { files } = buildReport(
        {
          landscapes: [{ label: 'bowl', result: landscape }],
          evals: [{ label: 'bowl', result: evalResult }],
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

      // The summary leads; each figure's numbers open below it.
      const headings = await page.locator('h2').allTextContents();
      assert.deepEqual(headings.slice(0, 3), ['Summary', '2D landscapes', 'Tables']);
      const numbers = page.locator('details').first();
      await numbers.locator('summary').click();
      assert.equal(await numbers.locator('tbody tr').count(), 9, 'a row per β of the contour');
      // Both themes: every text at least 4.5:1 against its background.
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        const body = await page.evaluate('getComputedStyle(document.body).backgroundColor');
        assert.equal(body, colorScheme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(18, 18, 18)');
        const lowest = (await page.evaluate(LOWEST_CONTRAST)) as Array<[string, number]>;
        assert.ok(lowest.length > 0 && lowest[0]![1] >= 4.5, `${colorScheme}: ${JSON.stringify(lowest)}`);
        t.diagnostic(`${colorScheme}: lowest text contrast ${lowest[0]![1].toFixed(1)}:1 (${lowest[0]![0]})`);
      }
      await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
      assert.equal(await page.locator('nav').isVisible(), false, 'print hides the navigation');
      assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(255, 255, 255)');
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
