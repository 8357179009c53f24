/**
 * Assembles a report from result files and run directories: flatness curves (1D landscapes),
 * training curves (run logs), the gap table (eval results and run logs, with a flatness column
 * when a landscape of the same checkpoint is given), a combined figure of curves beside the table,
 * and an index.html showing them all with the numbers as HTML tables. Pure: files in, strings out.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import type { EvalResult } from '../eval/evaluate-checkpoint.ts';
import { LANDSCAPE_SCHEMA, type LandscapeResult } from '../landscape/sample-landscape.ts';
import { readJsonFile } from '../results/read-json.ts';
import { TRAIN_LOG_SCHEMA, type TrainLog } from '../train/trainer.ts';
import { drawFlatnessCurves, flatnessCurvesSvg, type ChartSize, type CurveSeries } from './flatness-curves.ts';
import { drawGapTable, escapeHtml, GAP_TABLE_ROW_HEIGHT, gapTableCsv, gapTableHtml, gapTableMarkdown, gapTableSvg, type GapRow } from './gap-table.ts';
import { createCanvas } from './svg-canvas.ts';
import { contourSvg } from './contour-plot.ts';
import { scatterSvg } from './scatter-plot.ts';
import { CORRELATION_SCHEMA, type CorrelationResult } from '../stats/correlate-results.ts';
import { trainingCurvesSvg } from './training-curves.ts';

export interface ReportInputs {
  landscapes: Array<{ label: string; result: LandscapeResult }>;
  evals: Array<{ label: string; result: EvalResult }>;
  runs: Array<{ label: string; log: TrainLog }>;
  correlations: Array<{ label: string; result: CorrelationResult }>;
}

/** Reads each path: a run directory (its log.json) or a result file, classified by schema. */
export function readReportInputs(paths: string[]): ReportInputs {
  const inputs: ReportInputs = { landscapes: [], evals: [], runs: [], correlations: [] };
  for (const path of paths) {
    const isDir = existsSync(path) && statSync(path).isDirectory();
    const file = isDir ? join(path, 'log.json') : path;
    const json = readJsonFile(file) as { schema?: string };
    const label = basename(isDir ? path : path.replace(/\.json$/, ''));
    if (json.schema === LANDSCAPE_SCHEMA) inputs.landscapes.push({ label, result: json as LandscapeResult });
    else if (json.schema === 'weightscape.eval/2') inputs.evals.push({ label, result: json as EvalResult });
    else if (json.schema === TRAIN_LOG_SCHEMA) inputs.runs.push({ label, log: json as TrainLog });
    else if (json.schema === CORRELATION_SCHEMA) inputs.correlations.push({ label, result: json as CorrelationResult });
    else throw new WeightscapeError('bad-file', `${file}: not a result weightscape reports on (schema ${JSON.stringify(json.schema)})`);
  }
  return inputs;
}

function curveSeries(inputs: ReportInputs): CurveSeries[] {
  return inputs.landscapes.filter((l) => l.result.grid.betas === null && l.result.complete).map(({ label, result }) => ({
    label, alphas: result.grid.alphas, clean: result.values.cleanLoss[0] as number[], adversarial: (result.values.robustLoss?.[0] as number[] | undefined) ?? null,
  }));
}

function gapRows(inputs: ReportInputs): GapRow[] {
  const flatnessBySha = new Map(inputs.landscapes.map(({ result }) => [result.provenance.checkpoint?.sha256, result.flatness?.adversarial?.increaseMax ?? result.flatness?.clean.increaseMax ?? null]));
  const rows: GapRow[] = [];
  for (const { label, result } of inputs.evals) {
    const train = result.splits.train?.robust;
    const test = result.splits.test?.robust;
    if (!train || !test || !result.splits.test) continue;
    rows.push({ label, trainRobustAccuracy: train.accuracy, testRobustAccuracy: test.accuracy, gap: train.accuracy - test.accuracy, testCleanAccuracy: result.splits.test.clean.accuracy, flatness: flatnessBySha.get(result.provenance.checkpoint?.sha256) ?? null });
  }
  for (const { label, log } of inputs.runs) {
    const last = log.epochs.at(-1);
    if (!last?.train.robust || !last.test.robust) continue;
    rows.push({ label: `${label} (epoch ${last.epoch})`, trainRobustAccuracy: last.train.robust.accuracy, testRobustAccuracy: last.test.robust.accuracy, gap: last.train.robust.accuracy - last.test.robust.accuracy, testCleanAccuracy: last.test.clean.accuracy, flatness: null });
  }
  return rows;
}

export interface ReportFiles {
  /** File name → content, all to be written into the output directory. */
  files: Record<string, string>;
}

export function buildReport(inputs: ReportInputs, size: ChartSize): ReportFiles {
  const files: Record<string, string> = {};
  const series = curveSeries(inputs);
  const rows = gapRows(inputs);
  if (series.length > 0) files['flatness-curves.svg'] = flatnessCurvesSvg(series, size);
  if (inputs.runs.length > 0) files['training-curves.svg'] = trainingCurvesSvg(inputs.runs, size);
  inputs.landscapes.filter((l) => l.result.grid.betas !== null && l.result.complete).forEach(({ label, result }, i) => {
    files[`contour-${i + 1}-clean.svg`] = contourSvg(result, size, `Clean loss: ${label}`);
    if (result.values.robustLoss) files[`contour-${i + 1}-adversarial.svg`] = contourSvg(result, size, `Adversarial loss: ${label}`, 'robustLoss');
  });
  inputs.correlations.forEach(({ result }, i) => { files[`scatter-${i + 1}.svg`] = scatterSvg(result, size); });
  if (rows.length > 0) {
    files['gap-table.svg'] = gapTableSvg(rows, size.width);
    files['gap-table.md'] = gapTableMarkdown(rows);
    files['gap-table.csv'] = gapTableCsv(rows);
  }
  if (series.length > 0 && rows.length > 0) {
    const tableWidth = Math.max(420, Math.round(size.width * 0.8));
    const height = Math.max(size.height, 60 + (rows.length + 2) * GAP_TABLE_ROW_HEIGHT);
    const canvas = createCanvas(size.width + tableWidth + 24, height, 'Flatness and the robust generalization gap');
    drawFlatnessCurves(canvas.svg, series, 0, 0, size, 'Loss along filter-normalized directions');
    drawGapTable(canvas.svg, rows, size.width + 12, 4, tableWidth);
    files['combined.svg'] = canvas.serialize();
  }
  if (Object.keys(files).length === 0) throw new WeightscapeError('bad-argument', 'report: nothing to draw (give complete 1D landscapes, eval results with both splits, or run directories)');
  const figures = Object.keys(files).filter((f) => f.endsWith('.svg')).sort();
  files['index.html'] = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>weightscape report</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#111;background:#fff}img{max-width:100%;border:1px solid #ddd;margin:1em 0}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head>
<body>
<h1>weightscape report</h1>
${figures.map((f) => `<figure><img src="${escapeHtml(f)}" alt="${escapeHtml(f.replace(/\.svg$/, '').replace(/-/g, ' '))}"><figcaption>${escapeHtml(f)}</figcaption></figure>`).join('\n')}
${rows.length > 0 ? `<h2>Robust generalization gap</h2>\n${gapTableHtml(rows)}` : ''}
${series.length > 0 ? `<h2>Flatness</h2>\n<table>\n<thead><tr><th>landscape</th><th>loss at 0</th><th>increase at ρ</th><th>curvature</th><th>adversarial increase</th><th>adversarial curvature</th></tr></thead>\n<tbody>\n${inputs.landscapes.filter((l) => l.result.flatness).map(({ label, result }) => `<tr><td>${escapeHtml(label)}</td><td>${result.flatness!.clean.atZero.toFixed(4)}</td><td>${result.flatness!.clean.increaseMax.toFixed(4)}</td><td>${result.flatness!.clean.curvature.toFixed(4)}</td><td>${result.flatness!.adversarial?.increaseMax.toFixed(4) ?? '–'}</td><td>${result.flatness!.adversarial?.curvature.toFixed(4) ?? '–'}</td></tr>`).join('\n')}\n</tbody>\n</table>` : ''}
</body>
</html>
`;
  return { files };
}
