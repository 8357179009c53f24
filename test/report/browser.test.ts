/**
 * Renders the report, a study's panels and a Hessian result's figures among them, in headless
 * chromium (playwright-core): every chart has drawn size, no text leaves its chart, no two texts of
 * a row overlap, and index.html shows every figure. Skipped where /usr/bin/chromium is absent,
 * except in CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { syntheticEval } from '../helpers/eval-result.ts';
import { buildReport } from '../../src/report/build-report.ts';
import type { LandscapeResult } from '../../src/landscape/sample-landscape.ts';
import type { TrainLog } from '../../src/train/trainer.ts';
import type { HessianResult } from '../../src/results/hessian-schema.ts';
import { syntheticStudy } from './study-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const alphas = Array.from({ length: 21 }, (_, i) => -1 + i / 10);

/** The committed Hessian example, one tensor renamed long enough to wrap in the per-tensor chart. */
function hessian(): HessianResult {
  const path = fileURLToPath(new URL('../../fixtures/results/hessian.json', import.meta.url));
  const result = JSON.parse(readFileSync(path, 'utf8')) as HessianResult;
  result.perLayer![8]!.name = 'classifier.fc1.parametrizations.weight.original0_with_a_long_suffix<&>';
  return result;
}

/** A complete 2D landscape (a tilted bowl on 11 × 9 points): contour and 3D surface figures. */
function surface2d(): LandscapeResult {
  const betas = Array.from({ length: 9 }, (_, i) => -1 + i / 4);
  const grid = Array.from({ length: 11 }, (_, i) => -1 + i / 5);
  const table = (k: number) => betas.map((b) => grid.map((a) => k * (0.05 + a * a + 2 * b * b + 0.3 * a * b)));
  return {
    schema: 'weightscape.landscape/1',
    grid: { alphas: grid, betas, layout: '' },
    complete: true,
    settings: { checkpoint: 'runs/model-2d.safetensors', data: 'mini', split: 'test', subset: 32, bn: 'eval', seed: 0 },
    directions: [{ spec: 'filter' }, { spec: 'filter' }],
    values: { cleanLoss: table(1), cleanAccuracy: table(0.1), robustLoss: table(3), robustAccuracy: table(0.05) },
    flatness: null,
    provenance: { checkpoint: { sha256: 'sha-2d' } },
  } as unknown as LandscapeResult;
}

function inputs() {
  const landscape = (scale: number) =>
    ({
      schema: 'weightscape.landscape/1',
      grid: { alphas, betas: null, layout: '' },
      complete: true,
      settings: {
        checkpoint: `runs/model-${scale}.safetensors`,
        data: 'mini',
        split: 'test',
        subset: 32,
        attack: 'pgd:linf:eps=0.1:steps=10',
        bn: 'eval',
        seed: 0,
      },
      directions: [{ spec: 'filter' }],
      values: {
        cleanLoss: [alphas.map((a) => 0.4 + scale * a * a)],
        cleanAccuracy: [alphas.map(() => 0.5)],
        robustLoss: [alphas.map((a) => 1.1 + 1.5 * scale * a * a)],
        robustAccuracy: [alphas.map(() => 0.3)],
      },
      flatness: null,
      provenance: { checkpoint: { sha256: `sha${scale}` } },
    }) as unknown as LandscapeResult;
  const evalResult = syntheticEval;
  const epochs = Array.from({ length: 30 }, (_, i) => ({
    epoch: i + 1,
    train: { clean: { loss: 1, accuracy: 0.8 }, robust: { loss: 1, accuracy: 0.3 + 0.02 * i } },
    test: { clean: { loss: 1, accuracy: 0.7 }, robust: { loss: 1, accuracy: 0.3 + 0.01 * i } },
  }));
  return {
    landscapes: [
      { label: 'pgd-at, a rather long checkpoint name', result: landscape(3) },
      { label: 'pgd-at --awp', result: landscape(1.5) },
      { label: 'pgd-at 2D surface', result: surface2d() },
    ],
    evals: [
      { label: 'pgd-at final checkpoint with a long name', result: evalResult(0.75, 0.52, 'sha3') },
      { label: 'pgd-at --awp', result: evalResult(0.66, 0.58, 'sha1.5') },
    ],
    runs: [
      {
        label: 'pgd-at',
        log: {
          schema: 'weightscape.train-log/1',
          config: {
            method: 'pgd-at',
            awp: false,
            attack: 'pgd:linf:eps=0.1:steps=10',
            data: 'mini',
            subset: 500,
            epochs: 30,
            seed: 0,
          },
          epochs,
        } as unknown as TrainLog,
      },
    ],
    correlations: [],
    studies: [{ label: 'study', result: syntheticStudy() }],
    hessians: [{ label: 'pgd-at hessian, a rather long label for the titles', result: hessian() }],
  };
}

// CI sets WEIGHTSCAPE_REQUIRE_BROWSER=1, so a missing browser fails there instead of skipping.
const skip =
  existsSync(CHROMIUM) || process.env.WEIGHTSCAPE_REQUIRE_BROWSER === '1'
    ? false
    : 'no /usr/bin/chromium here (.ci/run installs it)';

test('the report renders in headless chromium: drawn sizes, no overflowing or overlapping text', { skip }, async () => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'weightscape-browser-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const { files } = buildReport(inputs(), { width: 560, height: 340 });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    for (const name of Object.keys(files).filter((f) => f.endsWith('.svg'))) {
      await page.goto(pathToFileURL(join(dir, name)).href);
      const report = await page.evaluate(() => {
        const svg = document.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        const texts = [...svg.querySelectorAll('text')].map((t) => ({
          text: t.textContent ?? '',
          box: t.getBoundingClientRect(),
        }));
        const outside = texts
          .filter(
            ({ box: b }) =>
              b.width > 0 &&
              (b.left < box.left - 0.5 ||
                b.right > box.right + 0.5 ||
                b.top < box.top - 0.5 ||
                b.bottom > box.bottom + 0.5),
          )
          .map((t) => t.text);
        // texts sharing a baseline (a table row, a tick row) must not overlap horizontally
        const overlaps: string[] = [];
        for (let i = 0; i < texts.length; i++)
          for (let j = i + 1; j < texts.length; j++) {
            const a = texts[i]!.box;
            const b = texts[j]!.box;
            if (
              Math.abs(a.top - b.top) < 2 &&
              a.width > 0 &&
              b.width > 0 &&
              a.left < b.right - 1 &&
              b.left < a.right - 1
            )
              overlaps.push(`${texts[i]!.text} / ${texts[j]!.text}`);
          }
        const curves = [...svg.querySelectorAll('path.curve')].map((p) => (p as SVGGraphicsElement).getBBox());
        return {
          width: box.width,
          height: box.height,
          outside,
          overlaps,
          curves: curves.map((c) => [c.width, c.height]),
        };
      });
      assert.ok(report.width > 300 && report.height > 100, `${name}: drawn size ${report.width}×${report.height}`);
      assert.deepEqual(report.outside, [], `${name}: text outside the chart`);
      assert.deepEqual(report.overlaps, [], `${name}: overlapping text`);
      for (const [w = 0, h = 0] of report.curves)
        assert.ok(w > 50 && h > 10, `${name}: a curve with drawn size ${w}×${h}`);
    }
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    const images = await page.evaluate(() =>
      [...document.images].map(
        (img) => [img.getAttribute('src'), img.naturalWidth, img.getBoundingClientRect().width] as const,
      ),
    );
    assert.equal(images.length, Object.keys(files).filter((f) => f.endsWith('.svg')).length);
    for (const [src, natural, shown] of images) assert.ok(natural > 0 && shown > 0, `index.html shows ${src}`);
    await page.screenshot({ path: join(dir, 'index.png'), fullPage: true });
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
