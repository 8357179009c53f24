/** The 3D surface of a 2D landscape: the projection in closed form, painter's order, gaps, and the golden file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { paintOrder, projectPoint, surfaceQuads, surfaceSvg, Z_SCALE } from '../../src/report/surface-3d.ts';
import type { LandscapeResult } from '../../src/results/landscape-schema.ts';

const GOLDEN = fileURLToPath(new URL('./golden/surface-3d.svg', import.meta.url));
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

/** A bowl on a non-square grid: 7 α by 5 β, values[i_beta][i_alpha] = α² + 2β² + 0.1. */
const alphas = [-1, -2 / 3, -1 / 3, 0, 1 / 3, 2 / 3, 1];
const betas = [-1, -0.5, 0, 0.5, 1];
const bowl = betas.map((b) => alphas.map((a) => a * a + 2 * b * b + 0.1));

test('the projection: top, side and turned views in closed form', () => {
  // From straight above: the screen is the α–β plane, higher values nearer.
  const top = projectPoint([0.3, -0.7, 0.5], { azimuth: 0, elevation: 90 });
  close(top.x, 0.3);
  close(top.y, -0.7);
  close(top.depth, -0.5);
  // From the side: up is the value, depth is β.
  const side = projectPoint([0.3, -0.7, 0.5], { azimuth: 0, elevation: 0 });
  close(side.x, 0.3);
  close(side.y, 0.5);
  close(side.depth, -0.7);
  // Turned a quarter: α now points away from the viewer.
  const turned = projectPoint([1, 0, 0], { azimuth: 90, elevation: 0 });
  close(turned.x, 0);
  close(turned.depth, 1);
});

test("painter's order: every quad drawn after the ones behind it; a missing point leaves its quads out", () => {
  const { quads, min, max } = surfaceQuads(bowl);
  assert.equal(quads.length, 6 * 4);
  close(min, 0.1);
  close(max, 3.1);
  const ordered = paintOrder(quads, { azimuth: -60, elevation: 30 }, Z_SCALE);
  for (let i = 1; i < ordered.length; i++) assert.ok(ordered[i]!.depth <= ordered[i - 1]!.depth);
  // Seen from azimuth −60 (in front of the α = +1, β = −1 corner... rotated), the first quad is the farthest corner's.
  const first = ordered[0]!.quad;
  const last = ordered.at(-1)!.quad;
  assert.notDeepEqual([first.row, first.column], [last.row, last.column]);
  const withHole = bowl.map((row) => row.slice() as (number | null)[]);
  withHole[2]![3] = null;
  // The point (β row 2, α column 3) is a corner of 4 quads.
  assert.equal(surfaceQuads(withHole).quads.length, 24 - 4);
});

test('golden file: the 3D surface (fails when the file is missing; WEIGHTSCAPE_UPDATE_GOLDEN=1 writes it)', () => {
  const result = {
    grid: { alphas, betas, layout: '' },
    values: { cleanLoss: bowl, cleanAccuracy: bowl, robustLoss: null, robustAccuracy: null },
  } as unknown as LandscapeResult;
  const svg = surfaceSvg(result, { width: 560, height: 420 }, 'Clean loss: a <bowl> & co');
  assert.equal(svg, surfaceSvg(result, { width: 560, height: 420 }, 'Clean loss: a <bowl> & co'), 'deterministic');
  assert.match(svg, /<title>Clean loss: a &lt;bowl&gt; &amp; co<\/title>/);
  assert.equal((svg.match(/class="quad"/g) ?? []).length, 24);
  if (process.env.WEIGHTSCAPE_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, svg);
  assert.ok(existsSync(GOLDEN), `${GOLDEN} is missing: run with WEIGHTSCAPE_UPDATE_GOLDEN=1 once and review it`);
  if (readFileSync(GOLDEN, 'utf8') !== svg) {
    writeFileSync(GOLDEN.replace(/\.svg$/, '-changed.svg'), svg);
    assert.fail('surface-3d.svg changed; compare with surface-3d-changed.svg and replace the golden file if intended');
  }
});
