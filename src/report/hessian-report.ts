/**
 * The report of a Hessian result (`weightscape hessian`): the spectral density figure, the
 * eigenvalue table (SVG and HTML) with the trace, the per-tensor bar chart and table, and the
 * result's notes, each captioned with the result's settings. Pure: a result in, strings out.
 */
import type { HessianResult } from '../results/hessian-schema.ts';
import { escapeHtml } from './escape-html.ts';
import { hessianCaption } from './figure-captions.ts';
import type { ChartSize } from './flatness-curves.ts';
import { densityCut, densityLogDomain, densitySvg } from './hessian-density-chart.ts';
import { densitySettingsText, lanczosText, traceLine } from './hessian-format.ts';
import { layerBarsSvg } from './hessian-layer-chart.ts';
import { eigenvalueTableHtml, eigenvalueTableSvg, layerTableHtml, layerTraceSum } from './hessian-tables.ts';
import type { Figure } from './index-html.ts';
import { safeName } from './safe-file-name.ts';

export interface HessianReportParts {
  files: Record<string, string>;
  figures: Figure[];
  /** One HTML section for index.html (escaped). */
  section: string;
}

/** A Hessian result's files, figures and index section; `name` hands out unique file names. */
export function hessianReportParts(
  label: string,
  result: HessianResult,
  size: ChartSize,
  name: (stem: string, ext: string) => string,
): HessianReportParts {
  const files: Record<string, string> = {};
  const figures: Figure[] = [];
  const settings = hessianCaption(label, result);
  const lanczos = lanczosText(result);
  // `hessian-<label>`, without saying hessian twice when the label starts with it (hessian.json → hessian-density.svg).
  const stem = /^hessian(-|$)/.test(safeName(label)) ? safeName(label) : `hessian-${safeName(label)}`;
  const add = (file: string, content: string, caption: string[]) => {
    files[file] = content;
    figures.push({ file, caption });
  };
  const anyNotConverged = result.eigenvalues.some((e) => !e.converged);
  const density = result.density === null ? null : densitySvg(label, result.density, result.eigenvalues, size);
  if (density !== null) {
    const domain = densityLogDomain(result.density!.density)!;
    add(name(`${stem}-density`, 'svg'), density, [
      'Spectral density of the Hessian: log10 density against eigenvalue; lines mark the top eigenvalues' +
        (anyNotConverged ? ' (dashed: not converged, an estimate)' : ''),
      `${densitySettingsText(result)}` +
        (densityCut(result.density!.density) ? `; density below 10^${domain[0]} not drawn` : ''),
      settings,
    ]);
  }
  add(name(`${stem}-eigenvalues`, 'svg'), eigenvalueTableSvg(label, result, size.width), [
    'Top eigenvalues of the Hessian, largest first, with each relative residual ‖Hv − λv‖/|λ|' +
      (result.trace === null ? '' : ", and Hutchinson's trace"),
    lanczos,
    settings,
  ]);
  const layers = result.perLayer;
  const layerNotConverged = layers?.some((l) => !l.topEigenvalue.converged) ?? false;
  if (layers !== null && layers.length > 0)
    add(name(`${stem}-layers`, 'svg'), layerBarsSvg(label, layers, size), [
      "Top eigenvalue of each weight tensor's Hessian block (the other tensors held fixed)" +
        (layerNotConverged ? '; hatched: not converged, an estimate' : ''),
      settings,
    ]);
  const traceSum = layers === null ? null : layerTraceSum(layers);
  const parts = [
    `<h2>${escapeHtml(`Hessian: ${label}`)}</h2>`,
    eigenvalueTableHtml(result, [lanczos, settings]),
    result.trace === null ? '' : `<p class="trace">${escapeHtml(traceLine(result.trace))}</p>`,
    layers === null || layers.length === 0
      ? ''
      : layerTableHtml(layers, [
          "Per tensor: the top eigenvalue and trace of the tensor's Hessian block",
          ...(traceSum === null ? [] : [`sum of the tensors' traces (the whole Hessian's trace): ${traceSum}`]),
          settings,
        ]),
    result.notes.length === 0
      ? ''
      : `<ul class="notes">\n${result.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n')}\n</ul>`,
  ];
  return { files, figures, section: parts.filter((p) => p !== '').join('\n') };
}
