/**
 * The report's index.html: every figure, and the numbers as HTML tables (gap, landscape flatness, flatness results).
 */
import type { LandscapeResult } from '../results/landscape-schema.ts';
import type { FlatnessResult, LossFlatness } from '../results/flatness-schema.ts';
import { escapeHtml } from './escape-html.ts';
import { gapTableHtml, type FlatnessMeasure, type GapRow } from './gap-table.ts';

const fixed = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? '–' : v.toFixed(digits));
const row = (cells: string[]) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
const table = (headers: string[], rows: string[]) =>
  `<table>\n<thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;

/** A landscape's direction(s), with "not converged" when a Hessian direction's power iteration stopped early. */
function directionText(result: LandscapeResult): string {
  return result.directions.map((d) => `${d.spec}${d.converged === false ? ' (not converged)' : ''}`).join(', ');
}

function landscapeTable(landscapes: Array<{ label: string; result: LandscapeResult }>): string {
  const rows = landscapes
    .filter((l) => l.result.flatness)
    .map(({ label, result }) => {
      const f = result.flatness!;
      return row([
        label,
        directionText(result),
        fixed(f.clean.rho, 3),
        fixed(f.clean.atZero),
        fixed(f.clean.increaseMax),
        fixed(f.clean.curvature),
        fixed(f.adversarial?.increaseMax),
        fixed(f.adversarial?.curvature),
      ]);
    });
  const headers = [
    'landscape',
    'direction',
    'ρ',
    'loss at 0',
    'increase at ρ',
    'curvature',
    'adversarial increase',
    'adversarial curvature',
  ];
  return rows.length === 0 ? '' : `<h2>Flatness along 1D landscapes</h2>\n${table(headers, rows)}`;
}

/** The Hessian eigenvalue, marked when power iteration did not converge (then it is an estimate, not the value). */
export function eigenvalueText(loss: LossFlatness): string {
  if (loss.hessianTopEigenvalue === null) return '–';
  return loss.hessianConverged === false
    ? `${loss.hessianTopEigenvalue.toFixed(4)} (not converged)`
    : loss.hessianTopEigenvalue.toFixed(4);
}

function flatnessResultsTable(results: Array<{ label: string; result: FlatnessResult }>): string {
  const rows = results.flatMap(({ label, result }) =>
    (['clean', 'adversarial'] as const).map((kind) => {
      const m = result[kind];
      return m === null
        ? row([label, kind, '–', '–', '–', '–', '–', '–'])
        : row([
            label,
            kind,
            fixed(m.atTheta),
            fixed(m.averageIncrease),
            fixed(m.maxIncrease),
            fixed(m.adversarialDirectionIncrease),
            fixed(m.curvature),
            eigenvalueText(m),
          ]);
    }),
  );
  const headers = [
    'result',
    'loss',
    'at θ',
    'average increase',
    'max increase',
    'adversarial-direction increase',
    'curvature',
    'Hessian top eigenvalue',
  ];
  return rows.length === 0 ? '' : `<h2>Flatness measures</h2>\n${table(headers, rows)}`;
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:2em;color:#111;background:#fff}',
  'img{max-width:100%;border:1px solid #ddd;margin:1em 0}',
  'table{border-collapse:collapse}',
  'caption{caption-side:bottom;text-align:left;color:#444;padding-top:4px}',
  'td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}',
  'td:first-child,th:first-child{text-align:left}',
].join('');

/** A figure of the page: the SVG file, its name (dashes as spaces) as alt text and as caption. */
function figure(file: string): string {
  const alt = escapeHtml(file.replace(/\.svg$/, '').replace(/-/g, ' '));
  return `<figure><img src="${escapeHtml(file)}" alt="${alt}"><figcaption>${escapeHtml(file)}</figcaption></figure>`;
}

/** The whole page; every text escaped. */
export function indexHtml(
  figures: string[],
  rows: GapRow[],
  measure: FlatnessMeasure | undefined,
  landscapes: Array<{ label: string; result: LandscapeResult }>,
  flatness: Array<{ label: string; result: FlatnessResult }>,
): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>weightscape report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>weightscape report</h1>
${figures.map(figure).join('\n')}
${rows.length > 0 ? `<h2>Robust generalization gap</h2>\n${gapTableHtml(rows, measure)}` : ''}
${landscapeTable(landscapes)}
${flatnessResultsTable(flatness)}
</body>
</html>
`;
}
