/**
 * The report's index.html: every figure with its settings as a caption, and the numbers as HTML
 * tables (gap, landscape flatness, flatness results, study tables). Every text is escaped here.
 */
import type { LandscapeResult } from '../results/landscape-schema.ts';
import type { FlatnessResult, LossFlatness } from '../results/flatness-schema.ts';
import { escapeHtml } from './escape-html.ts';
import { flatnessCaption } from './figure-captions.ts';
import { surfaceViewScript } from './surface-view.ts';
import type { FigureNumbers } from './figure-numbers.ts';

/** A figure of the page: its file and caption lines (the first says what it shows, the rest its inputs' settings). */
export interface Figure {
  file: string;
  caption: string[];
  /** HTML shown under the figure (already escaped by its builder): the rotatable 3D surface. */
  interactive?: string;
  /** The numbers drawn, for a collapsible table under the figure. */
  numbers?: FigureNumbers;
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

/**
 * Light and dark themes (the reader's system setting), both above WCAG AA contrast for text (4.5:1;
 * the browser test measures it), and a print stylesheet. The figures keep their white background.
 */
const STYLE = [
  ':root{color-scheme:light dark;--bg:#ffffff;--fg:#111111;--muted:#444444;--rule:#d0d0d0;--link:#0b57d0;--panel:#f4f4f4}',
  '@media (prefers-color-scheme:dark){:root{--bg:#121212;--fg:#e8e8e8;--muted:#b8b8b8;--rule:#3a3a3a;--link:#8ab4f8;--panel:#1e1e1e}}',
  'body{font-family:system-ui,sans-serif;margin:2em;color:var(--fg);background:var(--bg);max-width:80em}',
  'a{color:var(--link)}',
  'nav ul{display:flex;flex-wrap:wrap;gap:0.5em 1.5em;list-style:none;padding:0}',
  'section{margin-bottom:2em}',
  '.summary{background:var(--panel);padding:0.5em 1.5em 1em;border-radius:6px}',
  'img{max-width:100%;border:1px solid var(--rule);margin:1em 0;background:#ffffff}',
  'figcaption{color:var(--muted);max-width:60em}',
  'details{margin:0.5em 0 1.5em}',
  'summary{cursor:pointer;color:var(--fg)}',
  'table{border-collapse:collapse;margin-bottom:1.5em}',
  'caption{caption-side:bottom;text-align:left;color:var(--muted);padding-top:4px}',
  'td,th{padding:4px 10px;border-bottom:1px solid var(--rule);text-align:right}',
  'td:first-child,th:first-child{text-align:left}',
  '@media print{:root{--bg:#ffffff;--fg:#000000;--muted:#333333;--rule:#999999;--panel:#ffffff}',
  'body{margin:0;max-width:none}nav,.surface-view,details{display:none}figure,table{break-inside:avoid}',
  'section{break-before:auto}img{border:none}}',
].join('');

/** The groups of figures, in page order, by what their file names say they are. */
const GROUPS: Array<{ title: string; test: RegExp }> = [
  {
    title: 'Study: flatness and the robust gap across checkpoints',
    test: /^(robust-accuracy-by-epoch|flatness-vs-gap|landscape-by-epoch|study-)/,
  },
  { title: '1D landscapes', test: /^(flatness-curves|combined)/ },
  { title: '2D landscapes', test: /^(contour|surface)-/ },
  { title: 'Training', test: /^training-curves/ },
  { title: 'Flatness against the gap', test: /^scatter-/ },
  { title: 'Tables', test: /^gap-table/ },
  { title: 'Hessian spectra', test: /^hessian-/ },
  { title: 'Other figures', test: /./ },
];

const slug = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function numbersHtml(numbers: FigureNumbers | undefined): string {
  if (numbers === undefined || numbers.rows.length === 0) return '';
  return `<details><summary>Numbers (${numbers.rows.length} rows)</summary>\n${table(numbers.headers, numbers.rows.map(row))}\n</details>`;
}

function figureHtml({ file, caption, interactive, numbers }: Figure): string {
  const lines = caption.map(escapeHtml);
  const alt = escapeHtml(lines[0] ?? file.replace(/\.svg$/, '').replace(/-/g, ' '));
  const text = lines.length === 0 ? '' : `: ${lines.join('<br>')}`;
  return (
    `<figure><img src="${escapeHtml(file)}" alt="${alt}">` +
    `<figcaption><code>${escapeHtml(file)}</code>${text}</figcaption></figure>` +
    (interactive ?? '') +
    numbersHtml(numbers)
  );
}

/** The page's opening block: what was compared, the gap table and the headline correlation (HTML, escaped). */
export interface PageSummary {
  models: string[];
  gapTable?: string;
  headline?: string;
}

function summaryHtml(summary: PageSummary | undefined): string {
  if (summary === undefined || (summary.models.length === 0 && !summary.gapTable && !summary.headline)) return '';
  const models =
    summary.models.length === 0
      ? ''
      : `<p>Models: ${summary.models.map((m) => `<strong>${escapeHtml(m)}</strong>`).join(', ')}</p>`;
  const headline = summary.headline === undefined ? '' : `<p>${escapeHtml(summary.headline)}</p>`;
  return `<section class="summary" id="summary"><h2>Summary</h2>\n${models}\n${headline}\n${summary.gapTable ?? ''}</section>`;
}

/**
 * The whole page: the summary, the figures grouped by kind (each with its numbers), then the
 * sections (escaped by their builders).
 */
export function indexHtml(figures: Figure[], sections: string[], summary?: PageSummary): string {
  const remaining = [...figures];
  const groups = GROUPS.map(({ title, test }) => {
    const members = remaining.filter((f) => test.test(f.file));
    for (const f of members) remaining.splice(remaining.indexOf(f), 1);
    return { title, members };
  }).filter((g) => g.members.length > 0);
  const nav = groups.map((g) => `<li><a href="#${slug(g.title)}">${escapeHtml(g.title)}</a></li>`).join('');
  const body = groups
    .map(
      (g) =>
        `<section id="${slug(g.title)}"><h2>${escapeHtml(g.title)}</h2>\n${g.members.map(figureHtml).join('\n')}</section>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>weightscape report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>weightscape report</h1>
${summaryHtml(summary)}
${nav === '' ? '' : `<nav aria-label="figures"><ul>${nav}</ul></nav>`}
${body}
${sections.filter((s) => s !== '').join('\n')}
${figures.some((f) => f.interactive !== undefined) ? surfaceViewScript() : ''}
</body>
</html>
`;
}
