/**
 * Assembles a report from result files and run directories: flatness curves (1D landscapes),
 * training curves (run logs), the gap table (eval results and run logs, with a flatness column
 * when a landscape of the same checkpoint is given), a combined figure of curves beside the table,
 * the panels of a study (study-report.ts), a Hessian result's density, eigenvalue and per-tensor figures
 * (hessian-report.ts), and an index.html showing them all, each figure captioned
 * with its inputs' settings, with the numbers as HTML tables. Files are named after their inputs
 * (`contour-<label>-clean.svg`), not their order. Pure: files in, strings out.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import type { CorrelationResult } from '../results/correlation-schema.ts';
import type { EvalResult } from '../results/eval-schema.ts';
import type { FlatnessResult } from '../results/flatness-schema.ts';
import type { HessianResult } from '../results/hessian-schema.ts';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import { readAnyResult, schemaTag } from '../results/read-result.ts';
import type { StudyResult } from '../results/study-schema.ts';
import type { TrainLog } from '../results/train-log-schema.ts';
import { assertWholeRun } from '../results/whole-run.ts';
import type { ContourOptions } from './contour-levels.ts';
import { contourSvg } from './contour-plot.ts';
import { surfaceSvg } from './surface-3d.ts';
import {
  curveNumbers,
  epochNumbers,
  gapNumbers,
  gridNumbers,
  scatterNumbers,
  type FigureNumbers,
} from './figure-numbers.ts';
import { surfaceViewHtml } from './surface-view.ts';
import { textAsPaths } from './text-as-paths.ts';
import { correlationCaption, evalCaption, landscapeCaption, runCaption } from './figure-captions.ts';
import {
  curvesLayout,
  curvesTitle,
  drawFlatnessCurves,
  flatnessCurvesFigure,
  type ChartSize,
  type CurveQuantity,
  type CurveSeries,
} from './flatness-curves.ts';
import {
  drawGapTable,
  GAP_TABLE_ROW_HEIGHT,
  gapTableCsv,
  gapTableHtml,
  gapTableMarkdown,
  gapTableSvg,
} from './gap-table.ts';
import { gapRows } from './gap-rows.ts';
import { hessianReportParts } from './hessian-report.ts';
import { flatnessResultsTable, indexHtml, landscapeTable, type Figure } from './index-html.ts';
import { fileNamer, safeName } from './safe-file-name.ts';
import { scatterSvg } from './scatter-plot.ts';
import { studyReportParts } from './study-report.ts';
import { createCanvas } from './svg-canvas.ts';
import { trainingCurvesSvg } from './training-curves.ts';

export interface ReportInputs {
  landscapes: Array<{ label: string; result: LandscapeResult }>;
  evals: Array<{ label: string; result: EvalResult }>;
  runs: Array<{ label: string; log: TrainLog }>;
  correlations: Array<{ label: string; result: CorrelationResult }>;
  /** Flatness results (`weightscape flatness`): a table in index.html. */
  flatness?: Array<{ label: string; result: FlatnessResult }>;
  /** At most one study result (`weightscape study`): its panels and tables come first. */
  studies?: Array<{ label: string; result: StudyResult }>;
  /** Hessian results (`weightscape hessian`): density, eigenvalue and per-tensor figures and tables. */
  hessians?: Array<{ label: string; result: HessianResult }>;
}

/** Reads each path: a run directory (its log.json) or a result file, classified by schema and validated. */
export function readReportInputs(paths: string[]): ReportInputs {
  const inputs: Required<ReportInputs> = {
    landscapes: [],
    evals: [],
    runs: [],
    correlations: [],
    flatness: [],
    studies: [],
    hessians: [],
  };
  for (const path of paths) {
    const isDir = existsSync(path) && statSync(path).isDirectory();
    const file = isDir ? join(path, 'log.json') : path;
    const label = basename(isDir ? path : path.replace(/\.json$/, ''));
    const { kind, json } = readAnyResult(file);
    if (kind === 'landscape') inputs.landscapes.push({ label, result: json as LandscapeResult });
    else if (kind === 'eval') inputs.evals.push({ label, result: json as EvalResult });
    else if (kind === 'train log') inputs.runs.push({ label, log: json as TrainLog });
    else if (kind === 'correlation') inputs.correlations.push({ label, result: json as CorrelationResult });
    else if (kind === 'flatness') {
      assertWholeRun(file, json);
      inputs.flatness.push({ label, result: json as FlatnessResult });
    } else if (kind === 'study') inputs.studies.push({ label, result: json as StudyResult });
    else if (kind === 'hessian') inputs.hessians.push({ label, result: json as HessianResult });
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
    studies: sorted(inputs.studies ?? [], (s) => s.result),
    hessians: sorted(inputs.hessians ?? [], (h) => h.result),
  };
}

/** The complete 1D landscapes as curves of their losses, or of their accuracies in %. */
function curveSeries(inputs: ReportInputs, quantity: CurveQuantity = 'loss'): CurveSeries[] {
  const percent = (row: Array<number | null> | undefined) => row?.map((v) => 100 * v!) ?? null;
  return inputs.landscapes
    .filter((l) => l.result.grid.betas === null && l.result.complete)
    .map(({ label, result }) => ({
      label,
      alphas: result.grid.alphas,
      ...(quantity === 'loss'
        ? {
            clean: result.values.cleanLoss[0] as number[],
            adversarial: (result.values.robustLoss?.[0] as number[] | undefined) ?? null,
          }
        : { clean: percent(result.values.cleanAccuracy[0])!, adversarial: percent(result.values.robustAccuracy?.[0]) }),
      direction: result.directions[0]?.spec,
    }));
}

/** How figures are drawn (flags of `weightscape report`). */
export interface ReportOptions {
  /** Contour levels and colour range (`--levels`, `--vmin`, `--vmax`). */
  contour?: ContourOptions;
  /** Also draw the 1D landscapes' clean and adversarial accuracy along α (`--accuracy-curves`). */
  accuracyCurves?: boolean;
  /** Every SVG's text as glyph outlines, for PDF conversion on any machine (`--text-as-paths`). */
  textAsPaths?: boolean;
}

export interface ReportFiles {
  /** File name → content, all to be written into the output directory. */
  files: Record<string, string>;
  /** What a reader must know that the files do not say loudly enough (a refused --log-y), for stderr. */
  notes?: string[];
}

/** The first correlation in one sentence: Spearman's ρ with its interval and p-value, or why it is undefined. */
function headlineCorrelation(result: CorrelationResult): string {
  const { value, interval, permutation } = result.coefficients.spearman;
  const n = result.points.length;
  if (value === null)
    return `Spearman ρ between ${result.x} and ${result.y} is undefined over ${n} checkpoints (see the notes).`;
  const f = (v: number | null) => (v === null ? '–' : v.toFixed(2));
  return (
    `Spearman ρ between ${result.x} and ${result.y} over ${n} checkpoints: ${f(value)}, ` +
    `${Math.round(100 * interval.level)}% bootstrap interval [${f(interval.low)}, ${f(interval.high)}], ` +
    `permutation p = ${permutation.pValue === null ? '–' : permutation.pValue.toPrecision(2)}.`
  );
}

/** All figures and tables of a report; the same inputs in any order give the same bytes. */
export function buildReport(given: ReportInputs, size: ChartSize, options: ReportOptions = {}): ReportFiles {
  const inputs = canonical(given);
  if (inputs.studies.length > 1)
    throw new WeightscapeError(
      'bad-argument',
      `report: ${inputs.studies.length} study results given (${inputs.studies.map((s) => s.label).join(', ')}); give one study per report`,
    );
  const study = inputs.studies[0] === undefined ? undefined : studyReportParts(inputs.studies[0].result, size);
  const files: Record<string, string> = { ...study?.files };
  const figures: Figure[] = [];
  const add = (file: string, content: string, caption: string[], numbers?: FigureNumbers) => {
    files[file] = content;
    figures.push(numbers === undefined ? { file, caption } : { file, caption, numbers });
  };
  const name = fileNamer(Object.keys(files));
  const series = curveSeries(inputs);
  const oneD = inputs.landscapes.filter((l) => l.result.grid.betas === null && l.result.complete);
  const { rows, measure } = gapRows(inputs.landscapes, inputs.evals, inputs.runs);
  const gapCaption = [
    'Robust generalization gap: train and test robust accuracy at θ, train − test in points',
    ...inputs.evals.map(({ label, result }) => evalCaption(label, result)),
    ...inputs.runs.map(({ label, log }) => runCaption(label, log)),
    ...(measure === undefined ? [] : [`flatness: ${measure.description}`]),
  ];
  const curvesCaption = oneD.map(({ label, result }) => landscapeCaption(label, result));
  const notes: string[] = [];
  if (series.length > 0) {
    const curves = flatnessCurvesFigure(series, size);
    notes.push(...curves.notes);
    add(
      name('flatness-curves', 'svg'),
      curves.svg,
      [`${curvesTitle(series)} (clean solid, adversarial dashed, a marker at each sampled α)`, ...curvesCaption],
      curveNumbers(oneD),
    );
  }
  if (series.length === 0 && options.accuracyCurves === true)
    notes.push('--accuracy-curves: no complete 1D landscape among the inputs, so no accuracy curves are drawn');
  if (series.length > 0 && options.accuracyCurves === true) {
    const accuracy = curveSeries(inputs, 'accuracy');
    const title = curvesTitle(accuracy, 'accuracy');
    add(
      name('accuracy-curves', 'svg'),
      flatnessCurvesFigure(accuracy, size, title, 'accuracy').svg,
      [`${title} (clean solid, adversarial dashed, in %, a marker at each sampled α)`, ...curvesCaption],
      curveNumbers(oneD, 'accuracy'),
    );
  }
  if (inputs.runs.length > 0)
    add(
      name('training-curves', 'svg'),
      trainingCurvesSvg(inputs.runs, size),
      [
        "Robust accuracy per epoch, train and test, from the runs' logs",
        ...inputs.runs.map(({ label, log }) => runCaption(label, log)),
      ],
      epochNumbers(inputs.runs),
    );
  for (const { label, result } of inputs.landscapes.filter((l) => l.result.grid.betas !== null && l.result.complete)) {
    const caption = landscapeCaption(label, result);
    add(
      name(`contour-${safeName(label)}-clean`, 'svg'),
      contourSvg(result, size, `Clean loss: ${label}`, 'cleanLoss', options.contour),
      ['2D landscape of the clean loss', caption],
      gridNumbers(result, 'cleanLoss'),
    );
    if (result.values.robustLoss)
      add(
        name(`contour-${safeName(label)}-adversarial`, 'svg'),
        contourSvg(result, size, `Adversarial loss: ${label}`, 'robustLoss', options.contour),
        ['2D landscape of the adversarial loss', caption],
        gridNumbers(result, 'robustLoss'),
      );
    // The surface of the loss the sweep measured (adversarial when it has one), static and rotatable.
    const table = result.values.robustLoss ? 'robustLoss' : 'cleanLoss';
    const kind = table === 'robustLoss' ? 'adversarial' : 'clean';
    const title = `${kind === 'clean' ? 'Clean' : 'Adversarial'} loss surface: ${label}`;
    const surfaceSize = { width: size.width, height: Math.round(size.width * 0.75) };
    add(
      name(`surface-${safeName(label)}-${kind}`, 'svg'),
      surfaceSvg(result, surfaceSize, title, table),
      [
        `2D landscape of the ${kind} loss as a 3D surface (azimuth −60°, elevation 30°; the page's copy turns with the mouse)`,
        caption,
      ],
      gridNumbers(result, table),
    );
    figures.at(-1)!.interactive = surfaceViewHtml(result.values[table]!, title, surfaceSize.width, surfaceSize.height);
  }
  for (const { label, result } of inputs.correlations)
    add(
      name(`scatter-${safeName(label)}`, 'svg'),
      scatterSvg(result, size),
      [`${result.y} against ${result.x}, with the least-squares line`, correlationCaption(label, result)],
      scatterNumbers(result),
    );
  if (rows.length > 0) {
    add(name('gap-table', 'svg'), gapTableSvg(rows, size.width, measure), gapCaption, gapNumbers(rows));
    files[name('gap-table', 'md')] = gapTableMarkdown(rows, measure);
    files[name('gap-table', 'csv')] = gapTableCsv(rows, measure);
  }
  if (series.length > 0 && rows.length > 0) {
    const tableWidth = Math.max(420, Math.round(size.width * 0.8));
    const height = Math.max(curvesLayout(series, size).height, 60 + (rows.length + 4) * GAP_TABLE_ROW_HEIGHT);
    const canvas = createCanvas(size.width + tableWidth + 24, height, 'Flatness and the robust generalization gap');
    drawFlatnessCurves(canvas.svg, series, 0, 0, size, curvesTitle(series));
    drawGapTable(canvas.svg, rows, size.width + 12, 4, tableWidth, measure);
    add(name('combined', 'svg'), canvas.serialize(), [
      'The 1D curves beside the gap table',
      ...curvesCaption,
      ...gapCaption.slice(1),
    ]);
  }
  const hessianSections = inputs.hessians.map(({ label, result }) => {
    const parts = hessianReportParts(label, result, size, name);
    Object.assign(files, parts.files);
    figures.push(...parts.figures);
    return parts.section;
  });
  if (Object.keys(files).length === 0 && inputs.flatness.length === 0)
    throw new WeightscapeError(
      'bad-argument',
      'report: nothing to draw (give complete 1D landscapes, eval results with both splits, run directories, flatness, correlation, study or Hessian results)',
    );
  figures.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  // The study's panels first, in the paper's order (a)–(d); then the other figures by name.
  files['index.html'] = indexHtml(
    [...(study?.figures ?? []), ...figures],
    [
      ...(study?.sections ?? []),
      landscapeTable(inputs.landscapes),
      flatnessResultsTable(inputs.flatness),
      ...hessianSections,
    ],
    {
      models: [
        ...new Set(
          [...inputs.evals, ...inputs.landscapes, ...inputs.flatness, ...inputs.hessians, ...inputs.runs].map(
            (i) => i.label,
          ),
        ),
      ].sort(),
      ...(rows.length > 0 ? { gapTable: `<h3>Robust generalization gap</h3>\n${gapTableHtml(rows, measure)}` } : {}),
      ...(inputs.correlations[0] === undefined ? {} : { headline: headlineCorrelation(inputs.correlations[0].result) }),
    },
  );
  if (options.textAsPaths === true)
    for (const file of Object.keys(files)) if (file.endsWith('.svg')) files[file] = textAsPaths(files[file]!);
  return notes.length === 0 ? { files } : { files, notes };
}
