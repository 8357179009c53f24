/**
 * The report of a study (`weightscape study`): the panels of Figure 1 of Wu, Xia & Wang 2020 —
 * (a) robust accuracy per epoch, (b) the 1D landscapes of each run's epochs, (c) flatness against
 * the robust gap with the correlations, (d) the gap-and-flatness table — and the table of all
 * correlations, each captioned with the study's settings. Pure: a study in, strings out.
 */
import type { StudyCheckpoint, StudyResult } from '../results/study-schema.ts';
import { escapeHtml } from './escape-html.ts';
import { epochLandscapesSvg } from './epoch-landscapes.ts';
import type { ChartSize } from './flatness-curves.ts';
import { flatnessGapScatterSvg } from './flatness-gap-scatter.ts';
import { indexHtml, type Figure } from './index-html.ts';
import { robustAccuracyCurvesSvg } from './robust-accuracy-curves.ts';
import { fileNamer, safeName } from './safe-file-name.ts';
import { runKeys, studyRows } from './study-rows.ts';
import {
  correlationsCsv,
  correlationsHtml,
  correlationsMarkdown,
  heading,
  studyTableCsv,
  studyTableHtml,
  studyTableMarkdown,
  studyTableSvg,
} from './study-table.ts';
import { PALETTE } from './svg-canvas.ts';

export interface StudyReportParts {
  files: Record<string, string>;
  /** The figures in the paper's panel order, with their captions. */
  figures: Figure[];
  /** HTML sections for index.html (tables, notes), escaped. */
  sections: string[];
}

/** The study's settings in words: what every panel was measured with. */
export function studySettingsText(study: StudyResult): string {
  const s = study.settings;
  const subset = (n: number | null) => (n === null ? 'whole split' : `class-stratified subset of ${n}`);
  return [
    `data ${s.data}, attack ${s.attack}`,
    `gap on each split's ${subset(s.subset)}`,
    `landscapes on the ${s.landscapeSplit} split (${subset(s.landscapeSubset)})`,
    `${s.directions} filter-normalized random directions at ρ = ${s.rho}, α from ${Math.min(...s.alphas)} to ${Math.max(...s.alphas)}`,
    `adversarial (AWP) direction at ρ = ${s.rhoAdversarial}`,
    `seed ${s.seed}`,
  ].join('; ');
}

const byEpoch = (a: StudyCheckpoint, b: StudyCheckpoint) =>
  (a.epoch ?? Infinity) - (b.epoch ?? Infinity) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The study's files (no index.html), figures and index sections, to be shown alone or with other inputs. */
export function studyReportParts(study: StudyResult, size: ChartSize): StudyReportParts {
  const files: Record<string, string> = {};
  const figures: Figure[] = [];
  const name = fileNamer();
  const settings = studySettingsText(study);
  const keys = runKeys(study);
  const colours = new Map(keys.map((k, i) => [k, PALETTE[i % PALETTE.length]!]));
  const rows = studyRows(study);
  const measures = study.settings.measures;
  const add = (stem: string, content: string, caption: string[]) => {
    const file = name(stem, 'svg');
    files[file] = content;
    figures.push({ file, caption: [...caption, settings] });
  };
  if (study.runs.some((r) => r.history.length > 0))
    add('robust-accuracy-by-epoch', robustAccuracyCurvesSvg(study, colours, size), [
      '(a) Robust accuracy per epoch from each run’s log, train dashed and test solid; dots: the studied checkpoints',
    ]);
  for (const key of keys) {
    const checkpoints = study.checkpoints
      .filter((c) => (c.run ?? '(files)') === key && c.curves.random.alphas.length > 0)
      .sort(byEpoch);
    if (checkpoints.length === 0) continue;
    add(`landscape-by-epoch-${safeName(key)}`, epochLandscapesSvg(key, checkpoints, size), [
      `(b) ${key}: loss along the random directions (mean, min–max shaded) and the adversarial direction, ` +
        `coloured by epoch${checkpoints.length > 6 ? ` (6 of ${checkpoints.length} checkpoints, evenly spaced)` : ''}`,
    ]);
  }
  measures.forEach((measure, i) => {
    add(
      i === 0 ? 'flatness-vs-gap' : `flatness-vs-gap-${safeName(measure)}`,
      flatnessGapScatterSvg(rows, i, measure, study.settings.gap, study.correlations, colours, size),
      [
        `(c) ${measure} against ${study.settings.gap} over all checkpoints, labelled run@epoch, with the ` +
          'least-squares line; Pearson, Spearman and Kendall coefficients with bootstrap intervals ' +
          `(${study.settings.resamples} resamples) and permutation p-values (${study.settings.permutations} permutations)`,
      ],
    );
  });
  const tableCaption = [
    '(d) Robust generalization gap (train − test robust accuracy at θ, in points) and flatness per checkpoint',
  ];
  if (rows.length > 0) {
    add('study-table', studyTableSvg(rows, measures, size.width), tableCaption);
    files[name('study-table', 'md')] = studyTableMarkdown(rows, measures);
    files[name('study-table', 'csv')] = studyTableCsv(rows, measures);
  }
  if (study.correlations.length > 0) {
    files[name('study-correlations', 'md')] = correlationsMarkdown(study.correlations);
    files[name('study-correlations', 'csv')] = correlationsCsv(study.correlations);
  }
  const sections = [
    rows.length > 0
      ? `${heading('Study: robust gap and flatness per checkpoint')}\n${studyTableHtml(rows, measures, [...tableCaption, settings])}`
      : '',
    study.correlations.length > 0
      ? `${heading('Study: correlation of flatness with the gap')}\n${correlationsHtml(study.correlations, [
          `${study.settings.gap} against each measure; all: every checkpoint, run: one run's epochs, ` +
            'final / best: each run at its last / best epoch. ' +
            `Intervals: bootstrap (${study.settings.resamples} resamples); ` +
            `p: permutation (${study.settings.permutations} permutations).`,
          settings,
        ])}`
      : '',
    study.notes.length > 0
      ? `${heading('Study notes')}\n<ul>\n${study.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n')}\n</ul>`
      : '',
  ];
  return { files, figures, sections };
}

/** The study's report: its figures, tables and an index.html showing them with captions. */
export function buildStudyReport(study: StudyResult, size: ChartSize): { files: Record<string, string> } {
  const { files, figures, sections } = studyReportParts(study, size);
  return { files: { ...files, 'index.html': indexHtml(figures, sections) } };
}
