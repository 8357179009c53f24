import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { parseNpy } from '../../src/data/npy.ts';
import {
  landscapeCsv,
  landscapeExports,
  landscapeNpys,
  landscapeVtp,
  parseExportFormats,
} from '../../src/report/landscape-exports.ts';
import { parseResult } from '../../src/results/read-result.ts';
import type { LandscapeResult } from '../../src/results/landscape-schema.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/results/pgd-at-filter-landscape.json', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));

// A non-square grid (5 α × 3 β) whose values differ under a transpose: f(α, β) = α + 10β + measure.
const alphas = [-1, -0.5, 0, 0.5, 0.1 + 0.2]; // the last one needs 17 digits to round-trip
const betas = [-2, 0, 3];
const table = (offset: number) => betas.map((b) => alphas.map((a) => a + 10 * b + offset));

/** The committed 1D fixture made 2D, validated by the landscape schema (so it is a result `report` would read). */
function landscape2d(complete = true): LandscapeResult {
  const json = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, any>;
  json.grid = { ...json.grid, alphas, betas };
  json.settings = { ...json.settings, alphas, betas, directions: ['filter', 'filter'] };
  json.values = { cleanLoss: table(0), cleanAccuracy: table(100), robustLoss: table(200), robustAccuracy: table(300) };
  if (!complete) json.values.cleanLoss[2][4] = null;
  json.complete = complete;
  json.flatness = null;
  return parseResult(json, 'synthetic', 'landscape');
}

test('CSV: points × measures rows, values at [i_beta][i_alpha] on a 3×5 grid, full precision', () => {
  const lines = landscapeCsv(landscape2d()).trimEnd().split('\n');
  assert.equal(lines[0], 'alpha,beta,measure,value');
  assert.equal(lines.length - 1, 5 * 3 * 4);
  const rows = lines.slice(1).map((l) => l.split(','));
  // α = 0.30000000000000004 (index 4), β = 0 (index 1): robustLoss = value[1][4] = α + 200.
  const row = rows.find((r) => r[0] === '0.30000000000000004' && r[1] === '0' && r[2] === 'robustLoss');
  assert.ok(row, 'the α written with all its digits');
  assert.equal(Number(row[3]), table(200)[1]![4]);
  assert.equal(Number(row[3]), 200.3);
  // β = 3 (index 2), α = -1 (index 0): 29, which a transposed export would not have there.
  assert.equal(Number(rows.find((r) => r[0] === '-1' && r[1] === '3' && r[2] === 'cleanLoss')![3]), 29);
  // Uncomputed: the row stays, with an empty value.
  const partial = landscapeCsv(landscape2d(false)).trimEnd().split('\n');
  assert.equal(partial.length - 1, 5 * 3 * 4);
  assert.ok(partial.includes('0.30000000000000004,3,cleanLoss,'));
});

test('CSV of a 1D sweep leaves beta empty', () => {
  const result = parseResult(JSON.parse(readFileSync(FIXTURE, 'utf8')), FIXTURE, 'landscape');
  const lines = landscapeCsv(result).trimEnd().split('\n');
  assert.equal(lines.length - 1, 11 * 4);
  assert.equal(lines[1], `-1,,cleanLoss,${result.values.cleanLoss[0]![0]}`);
});

test('.npy grids read back by the project reader: shape [nβ, nα], C order, NaN where uncomputed, 64-byte header', () => {
  const npys = landscapeNpys(landscape2d(false));
  assert.deepEqual(Object.keys(npys).sort(), [
    'alphas',
    'betas',
    'clean-accuracy',
    'clean-loss',
    'robust-accuracy',
    'robust-loss',
  ]);
  for (const bytes of Object.values(npys)) {
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + headerLength) % 64, 0, 'data starts on a 64-byte boundary');
  }
  const robust = parseNpy(npys['robust-loss']!, 'robust-loss.npy');
  assert.equal(robust.dtype, 'F64');
  assert.deepEqual(robust.shape, [3, 5]);
  const values = new Float64Array(robust.bytes.slice().buffer);
  assert.equal(values[1 * 5 + 4], table(200)[1]![4]); // value[i_beta = 1][i_alpha = 4]
  assert.equal(values[2 * 5 + 0], 229);
  const clean = new Float64Array(parseNpy(npys['clean-loss']!, 'clean-loss.npy').bytes.slice().buffer);
  assert.ok(Number.isNaN(clean[2 * 5 + 4]));
  const axis = parseNpy(npys.alphas!, 'alphas.npy');
  assert.deepEqual(axis.shape, [5]);
  assert.deepEqual([...new Float64Array(axis.bytes.slice().buffer)], alphas);
});

test('.vtp: valid XML, nα·nβ points at (α, β, loss), (nα−1)(nβ−1) quads, one array per measure', () => {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(
    landscapeVtp(landscape2d(), 'robustLoss'),
    'text/xml',
  );
  assert.equal(doc.getElementsByTagName('parsererror').length, 0);
  const piece = doc.querySelector('Piece')!;
  assert.equal(piece.getAttribute('NumberOfPoints'), '15');
  assert.equal(piece.getAttribute('NumberOfPolys'), '8');
  const numbers = (selector: string) => doc.querySelector(selector)!.textContent!.trim().split(/\s+/).map(Number);
  const points = numbers('Points > DataArray');
  assert.equal(points.length, 15 * 3);
  // Point k = i_beta·nα + i_alpha = 1·5 + 4 = 9.
  assert.deepEqual(points.slice(27, 30), [alphas[4], 0, table(200)[1]![4]]);
  assert.deepEqual(points.slice(3 * 10, 3 * 10 + 3), [-1, 3, 229]);
  const names = [...doc.querySelectorAll('PointData > DataArray')].map((a) => a.getAttribute('Name'));
  assert.deepEqual(names, ['cleanLoss', 'cleanAccuracy', 'robustLoss', 'robustAccuracy']);
  assert.equal(numbers('PointData > DataArray[Name="cleanAccuracy"]')[9], table(100)[1]![4]);
  const connectivity = numbers('Polys > DataArray[Name="connectivity"]');
  assert.deepEqual(connectivity.slice(0, 4), [0, 1, 6, 5]);
  assert.equal(connectivity.length, 8 * 4);
  assert.deepEqual(numbers('Polys > DataArray[Name="offsets"]'), [4, 8, 12, 16, 20, 24, 28, 32]);
});

test('landscapeExports: file names from the contour stem, no .vtp for 1D or incomplete sweeps, notes say so', () => {
  const oneD = parseResult(JSON.parse(readFileSync(FIXTURE, 'utf8')), FIXTURE, 'landscape');
  const { files, notes } = landscapeExports(
    [
      { label: 'AWP 2D', result: landscape2d() },
      { label: 'pgd', result: oneD },
      { label: 'half', result: landscape2d(false) },
    ],
    parseExportFormats('vtp,csv,npy'),
    ['contour-awp-2d.csv'],
  );
  const names = Object.keys(files).sort();
  assert.ok(names.includes('contour-awp-2d-2.csv'), 'a name already taken is not overwritten');
  assert.ok(names.includes('contour-awp-2d-clean.vtp') && names.includes('contour-awp-2d-adversarial.vtp'));
  assert.ok(names.includes('contour-awp-2d-robust-loss.npy') && names.includes('contour-awp-2d-betas.npy'));
  assert.ok(names.includes('curve-pgd.csv') && names.includes('curve-pgd-alphas.npy'));
  assert.ok(!names.some((n) => n.startsWith('curve-pgd') && n.endsWith('.vtp')));
  assert.ok(!names.some((n) => n.startsWith('contour-half') && n.endsWith('.vtp')));
  assert.ok(!names.includes('curve-pgd-betas.npy'));
  assert.ok(notes.some((n) => n.startsWith('pgd: a 1D landscape')));
  assert.ok(notes.some((n) => n.startsWith('half: incomplete landscape; no .vtp')));
  assert.throws(() => parseExportFormats('csv,pdf'), /--export: unknown format "pdf"/);
  assert.throws(() => parseExportFormats(''), /--export: unknown format ""/);
});

test('report --export with an unknown format exits 2 naming it', () => {
  const result = spawnSync(
    process.execPath,
    [BIN, 'report', FIXTURE, '--out', '/nonexistent/never-written', '--export', 'csv,svgz'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--export: unknown format "svgz"/);
});
