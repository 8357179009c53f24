/**
 * The report's index.html: every figure with its settings as a caption, and the numbers as HTML
 * tables (gap, landscape flatness, flatness results, study tables). Every text is escaped here.
 */
import type { LandscapeResult } from '../results/landscape-schema.ts';
import type { FlatnessResult, LossFlatness } from '../results/flatness-schema.ts';
import { escapeHtml } from './escape-html.ts';
import { flatnessCaption } from './figure-captions.ts';
import { surfaceViewScript } from './surface-view.ts';

/** A figure of the page: its file and caption lines (the first says what it shows, the rest its inputs' settings). */
export interface Figure {
  file: string;
  caption: string[];
  /** HTML shown under the figure (already escaped by its builder): the rotatable 3D surface. */
  interactive?: string;
}

const fixed = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? '–' : v.toFixed(digits));
export const htmlRow = (cells: string[]) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
const row = htmlRow;

/** A table of escaped headers and rows (already HTML), with an optional caption of escaped lines. */
export function htmlTable(headers: string[], rows: string[], caption: string[] = []): string {
  const captionHtml = caption.length === 0 ? '' : `<caption>${caption.map(escapeHtml).join('<br>')}</caption>\n`;
  const head = `<thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  return `<table>\n${captionHtml}${head}\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}
const table = htmlTable;

/** A landscape's direction(s), with "not converged" when a Hessian direction's power iteration stopped early. */
function directionText(result: LandscapeResult): string {
  return result.directions.map((d) => `${d.spec}${d.converged === false ? ' (not converged)' : ''}`).join(', ');
}

/** The flatness measures of complete 1D landscapes, as a section (empty when none has them). */
export function landscapeTable(landscapes: Array<{ label: string; result: LandscapeResult }>): string {
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

/** Flatness results (`weightscape flatness`), clean and adversarial rows, each result's settings in the caption. */
export function flatnessResultsTable(results: Array<{ label: string; result: FlatnessResult }>): string {
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
  const caption = results.map(({ label, result }) => flatnessCaption(label, result));
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
  return rows.length === 0 ? '' : `<h2>Flatness measures</h2>\n${table(headers, rows, caption)}`;
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:2em;color:#111;background:#fff}',
  'img{max-width:100%;border:1px solid #ddd;margin:1em 0}',
  'figcaption{color:#444;max-width:60em}',
  'table{border-collapse:collapse;margin-bottom:1.5em}',
  'caption{caption-side:bottom;text-align:left;color:#444;padding-top:4px}',
  'td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}',
  'td:first-child,th:first-child{text-align:left}',
].join('');

function figureHtml({ file, caption, interactive }: Figure): string {
  const lines = caption.map(escapeHtml);
  const alt = escapeHtml(file.replace(/\.svg$/, '').replace(/-/g, ' '));
  const text = lines.length === 0 ? '' : `: ${lines.join('<br>')}`;
  return (
    `<figure><img src="${escapeHtml(file)}" alt="${alt}">` +
    `<figcaption><code>${escapeHtml(file)}</code>${text}</figcaption></figure>` +
    (interactive ?? '')
  );
}

/** The whole page: the figures, then the sections (HTML already escaped by their builders). */
export function indexHtml(figures: Figure[], sections: string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>weightscape report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>weightscape report</h1>
${figures.map(figureHtml).join('\n')}
${sections.filter((s) => s !== '').join('\n')}
${figures.some((f) => f.interactive !== undefined) ? surfaceViewScript() : ''}
</body>
</html>
`;
}
