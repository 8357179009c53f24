/**
 * Assembles a report from result files and run directories: flatness curves (1D landscapes),
 * training curves (run logs), the gap table (eval results and run logs, with a flatness column
 * when a landscape of the same checkpoint is given), a combined figure of curves beside the table,
 * and an index.html showing them all with the numbers as HTML tables. Pure: files in, strings out.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import type { EvalResult } from '../results/eval-schema.ts';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import type { FlatnessResult } from '../results/flatness-schema.ts';
import { readAnyResult, schemaTag } from '../results/read-result.ts';
import type { TrainLog } from '../results/train-log-schema.ts';
import { drawFlatnessCurves, flatnessCurvesSvg, type ChartSize, type CurveSeries } from './flatness-curves.ts';
import { drawGapTable, GAP_TABLE_ROW_HEIGHT, gapTableCsv, gapTableMarkdown, gapTableSvg } from './gap-table.ts';
import { gapRows } from './gap-rows.ts';
import { indexHtml } from './index-html.ts';
import { createCanvas } from './svg-canvas.ts';
import { contourSvg } from './contour-plot.ts';
import { scatterSvg } from './scatter-plot.ts';
import type { CorrelationResult } from '../results/correlation-schema.ts';
import { trainingCurvesSvg } from './training-curves.ts';

export interface ReportInputs {
  landscapes: Array<{ label: string; result: LandscapeResult }>;
  evals: Array<{ label: string; result: EvalResult }>;
  runs: Array<{ label: string; log: TrainLog }>;
  correlations: Array<{ label: string; result: CorrelationResult }>;
  /** Flatness results (`weightscape flatness`): a table in index.html. */
  flatness?: Array<{ label: string; result: FlatnessResult }>;
}

/** Reads each path: a run directory (its log.json) or a result file, classified by schema and validated. */
export function readReportInputs(paths: string[]): ReportInputs {
  const inputs: Required<ReportInputs> = { landscapes: [], evals: [], runs: [], correlations: [], flatness: [] };
  for (const path of paths) {
    const isDir = existsSync(path) && statSync(path).isDirectory();
    const file = isDir ? join(path, 'log.json') : path;
    const label = basename(isDir ? path : path.replace(/\.json$/, ''));
    const { kind, json } = readAnyResult(file);
    if (kind === 'landscape') inputs.landscapes.push({ label, result: json as LandscapeResult });
    else if (kind === 'eval') inputs.evals.push({ label, result: json as EvalResult });
    else if (kind === 'train log') inputs.runs.push({ label, log: json as TrainLog });
    else if (kind === 'correlation') inputs.correlations.push({ label, result: json as CorrelationResult });
    else if (kind === 'flatness') inputs.flatness.push({ label, result: json as FlatnessResult });
    else
      throw new WeightscapeError(
        'bad-file',
        `${file}: not a result weightscape reports on (schema ${JSON.stringify(schemaTag(json) ?? null)})`,
      );
  }
  return inputs;
}

/** Inputs in a canonical order (by label, then content), so that the order given never changes a figure. */
function canonical(inputs: ReportInputs): Required<ReportInputs> {
  const sorted = <T extends { label: string }>(items: T[], content: (item: T) => unknown) =>
    items
      .map((item) => ({ item, key: JSON.stringify(content(item)) }))
      .sort((a, b) =>
        a.item.label < b.item.label ? -1 : a.item.label > b.item.label ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
      )
      .map(({ item }) => item);
  return {
    landscapes: sorted(inputs.landscapes, (l) => l.result),
    evals: sorted(inputs.evals, (e) => e.result),
    runs: sorted(inputs.runs, (r) => r.log),
    correlations: sorted(inputs.correlations, (c) => c.result),
    flatness: sorted(inputs.flatness ?? [], (f) => f.result),
  };
}

function curveSeries(inputs: ReportInputs): CurveSeries[] {
  return inputs.landscapes
    .filter((l) => l.result.grid.betas === null && l.result.complete)
    .map(({ label, result }) => ({
      label,
      alphas: result.grid.alphas,
      clean: result.values.cleanLoss[0] as number[],
      adversarial: (result.values.robustLoss?.[0] as number[] | undefined) ?? null,
    }));
}

export interface ReportFiles {
  /** File name → content, all to be written into the output directory. */
  files: Record<string, string>;
}

/** All figures and tables of a report; the same inputs in any order give the same bytes. */
export function buildReport(given: ReportInputs, size: ChartSize): ReportFiles {
  const inputs = canonical(given);
  const files: Record<string, string> = {};
  const series = curveSeries(inputs);
  const { rows, measure } = gapRows(inputs.landscapes, inputs.evals, inputs.runs);
  if (series.length > 0) files['flatness-curves.svg'] = flatnessCurvesSvg(series, size);
  if (inputs.runs.length > 0) files['training-curves.svg'] = trainingCurvesSvg(inputs.runs, size);
  inputs.landscapes
    .filter((l) => l.result.grid.betas !== null && l.result.complete)
    .forEach(({ label, result }, i) => {
      files[`contour-${i + 1}-clean.svg`] = contourSvg(result, size, `Clean loss: ${label}`);
      if (result.values.robustLoss)
        files[`contour-${i + 1}-adversarial.svg`] = contourSvg(
          result,
          size,
          `Adversarial loss: ${label}`,
          'robustLoss',
        );
    });
  inputs.correlations.forEach(({ result }, i) => {
    files[`scatter-${i + 1}.svg`] = scatterSvg(result, size);
  });
  if (rows.length > 0) {
    files['gap-table.svg'] = gapTableSvg(rows, size.width, measure);
    files['gap-table.md'] = gapTableMarkdown(rows, measure);
    files['gap-table.csv'] = gapTableCsv(rows, measure);
  }
  if (series.length > 0 && rows.length > 0) {
    const tableWidth = Math.max(420, Math.round(size.width * 0.8));
    const height = Math.max(size.height, 60 + (rows.length + 4) * GAP_TABLE_ROW_HEIGHT);
    const canvas = createCanvas(size.width + tableWidth + 24, height, 'Flatness and the robust generalization gap');
    drawFlatnessCurves(canvas.svg, series, 0, 0, size, 'Loss along filter-normalized directions');
    drawGapTable(canvas.svg, rows, size.width + 12, 4, tableWidth, measure);
    files['combined.svg'] = canvas.serialize();
  }
  if (Object.keys(files).length === 0 && inputs.flatness.length === 0)
    throw new WeightscapeError(
      'bad-argument',
      'report: nothing to draw (give complete 1D landscapes, eval results with both splits, run directories or flatness results)',
    );
  files['index.html'] = indexHtml(
    Object.keys(files)
      .filter((f) => f.endsWith('.svg'))
      .sort(),
    rows,
    measure,
    inputs.landscapes,
    inputs.flatness,
  );
  return { files };
}
