/**
 * A 2D landscape as a 3D surface: the grid's quads projected orthographically from a viewing
 * direction (azimuth about the vertical, elevation above the α–β plane), drawn far to near
 * (painter's order, ties by grid position so the file is deterministic), each quad coloured by its
 * mean value (viridis, as the contours) and darkened by how far it turns from a light above the
 * viewer. Uncomputed points leave their quads out.
 */
import * as d3 from 'd3';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import type { ChartSize } from './flatness-curves.ts';
import { chartTitle, createCanvas, round } from './svg-canvas.ts';

/** Degrees: azimuth turns the grid about the vertical axis, elevation tilts the view down onto it. */
export interface SurfaceView {
  azimuth: number;
  elevation: number;
}

/** A view like matplotlib's default 3D axes. */
export const DEFAULT_VIEW: SurfaceView = { azimuth: -60, elevation: 30 };

/** A point of the unit box: x, y in [−1, 1] (α, β), z in [0, 1] (the value, scaled). */
export type BoxPoint = [number, number, number];

/**
 * Screen coordinates (x right, y up) and depth (larger is farther) of a box point seen from `view`.
 * Pure and self-contained, so that the report page's rotatable view can run the same code.
 */
export function projectPoint(point: BoxPoint, view: SurfaceView): { x: number; y: number; depth: number } {
  const a = (view.azimuth * Math.PI) / 180;
  const e = (view.elevation * Math.PI) / 180;
  const [x, y, z] = point;
  const x1 = x * Math.cos(a) - y * Math.sin(a);
  const y1 = x * Math.sin(a) + y * Math.cos(a);
  return { x: x1, y: y1 * Math.sin(e) + z * Math.cos(e), depth: y1 * Math.cos(e) - z * Math.sin(e) };
}

export interface SurfaceQuad {
  /** Grid position of the quad's lower-left corner (β row, α column). */
  row: number;
  column: number;
  corners: BoxPoint[];
  /** Mean value of its four corners (the data's units). */
  value: number;
}

/** The quads of a values[i_beta][i_alpha] table in the unit box, with the value range that scaled them. */
export function surfaceQuads(values: (number | null)[][]): { quads: SurfaceQuad[]; min: number; max: number } {
  const finite = values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const rows = values.length;
  const columns = values[0]!.length;
  const scale = max > min ? 1 / (max - min) : 0;
  const at = (i: number, j: number): BoxPoint => [
    columns > 1 ? -1 + (2 * j) / (columns - 1) : 0,
    rows > 1 ? -1 + (2 * i) / (rows - 1) : 0,
    (values[i]![j]! - min) * scale,
  ];
  const quads: SurfaceQuad[] = [];
  for (let i = 0; i + 1 < rows; i++)
    for (let j = 0; j + 1 < columns; j++) {
      const cell = [values[i]![j], values[i]![j + 1], values[i + 1]![j + 1], values[i + 1]![j]];
      if (cell.some((v) => v === null || v === undefined || !Number.isFinite(v))) continue;
      quads.push({
        row: i,
        column: j,
        corners: [at(i, j), at(i, j + 1), at(i + 1, j + 1), at(i + 1, j)],
        value: (cell as number[]).reduce((s, v) => s + v, 0) / 4,
      });
    }
  return { quads, min, max };
}

/** 0.55–1: how much light a quad gets from above the viewer (Lambert on its normal). */
function shade(corners: BoxPoint[], view: SurfaceView, zScale: number): number {
  const [p0, p1, , p3] = corners as [BoxPoint, BoxPoint, BoxPoint, BoxPoint];
  const u = [p1[0] - p0[0], p1[1] - p0[1], (p1[2] - p0[2]) * zScale];
  const v = [p3[0] - p0[0], p3[1] - p0[1], (p3[2] - p0[2]) * zScale];
  const n = [u[1]! * v[2]! - u[2]! * v[1]!, u[2]! * v[0]! - u[0]! * v[2]!, u[0]! * v[1]! - u[1]! * v[0]!];
  const length = Math.hypot(n[0]!, n[1]!, n[2]!) || 1;
  const a = (view.azimuth * Math.PI) / 180;
  // Light from above, turned with the viewer.
  const light = [-Math.sin(a) * 0.5, -Math.cos(a) * 0.5, 1];
  const lightLength = Math.hypot(light[0]!, light[1]!, light[2]!);
  const cos = Math.abs(n[0]! * light[0]! + n[1]! * light[1]! + n[2]! * light[2]!) / (length * lightLength);
  return 0.55 + 0.45 * cos;
}

/** Room on the right for the value key ("adversarial loss", "max 18.32"). */
const LEGEND_WIDTH = 124;

/** The value axis spans 0.8 of the α–β box: a surface, not a wall or a sheet. */
export const Z_SCALE = 0.8;

/** The quads with their projected corners, far to near; equal depths by grid position (a deterministic file). */
export function paintOrder(quads: SurfaceQuad[], view: SurfaceView, zScale: number) {
  const projected = quads.map((quad) => {
    const points = quad.corners.map((c) => projectPoint([c[0], c[1], c[2] * zScale], view));
    return { quad, points, depth: points.reduce((s, p) => s + p.depth, 0) / points.length };
  });
  return projected.sort((p, q) => q.depth - p.depth || p.quad.row - q.quad.row || p.quad.column - q.quad.column);
}

/** The surface of one loss of a complete 2D landscape, as a standalone SVG. */
export function surfaceSvg(
  result: LandscapeResult,
  { width, height }: ChartSize,
  title: string,
  table: 'cleanLoss' | 'robustLoss' = 'cleanLoss',
  view: SurfaceView = DEFAULT_VIEW,
): string {
  const { quads, min, max } = surfaceQuads(result.values[table]!);
  const projected = paintOrder(quads, view, Z_SCALE);
  const box: BoxPoint[] = [-1, 1].flatMap((x) => [-1, 1].flatMap((y) => [0, Z_SCALE].map((z): BoxPoint => [x, y, z])));
  const extent = box.map((p) => projectPoint(p, view));
  const frame = { left: 20, top: 34, width: width - 20 - LEGEND_WIDTH, height: height - 34 - 20 };
  const xs = extent.map((p) => p.x);
  const ys = extent.map((p) => p.y);
  const spanX = Math.max(...xs) - Math.min(...xs);
  const spanY = Math.max(...ys) - Math.min(...ys);
  const k = Math.min(frame.width / spanX, frame.height / spanY);
  const cx = frame.left + frame.width / 2 - (k * (Math.max(...xs) + Math.min(...xs))) / 2;
  const cy = frame.top + frame.height / 2 + (k * (Math.max(...ys) + Math.min(...ys))) / 2;
  const toPixel = (p: { x: number; y: number }): [number, number] => [round(cx + k * p.x), round(cy - k * p.y)];
  const color = d3.scaleSequential(d3.interpolateViridis).domain([min, max > min ? max : min + 1]);
  const canvas = createCanvas(width, height, title);
  const { svg } = canvas;
  chartTitle(svg, title);
  const g = svg.append('g').attr('class', 'surface');
  for (const { quad, points } of projected) {
    const base = d3.rgb(color(quad.value));
    const s = shade(quad.corners, view, Z_SCALE);
    const fill = d3.rgb(base.r * s, base.g * s, base.b * s).formatHex();
    g.append('path')
      .attr('class', 'quad')
      .attr('d', `M${points.map((p) => toPixel(p).join(',')).join('L')}Z`)
      .attr('fill', fill)
      .attr('stroke', fill)
      .attr('stroke-width', 0.4);
  }
  // The base's α and β edges nearest the viewer, labelled, and the vertical axis at the far corner.
  const axis = svg.append('g').attr('class', 'axes').attr('fill', '#222').attr('font-size', 11);
  const label = (from: BoxPoint, to: BoxPoint, text: string) => {
    const [x1, y1] = toPixel(projectPoint(from, view));
    const [x2, y2] = toPixel(projectPoint(to, view));
    axis.append('line').attr('x1', x1).attr('y1', y1).attr('x2', x2).attr('y2', y2).attr('stroke', '#555');
    axis
      .append('text')
      .attr('x', round((x1 + x2) / 2))
      .attr('y', round((y1 + y2) / 2 + 14))
      .attr('text-anchor', 'middle')
      .text(text);
  };
  const nearest = [-1, 1]
    .flatMap((x) => [-1, 1].map((y): BoxPoint => [x, y, 0]))
    .reduce((best, p) => (projectPoint(p, view).depth < projectPoint(best, view).depth ? p : best));
  const [nx, ny] = nearest;
  const { alphas, betas } = result.grid;
  label([-nx, ny, 0], [nx, ny, 0], `α ${alphas[0]} … ${alphas.at(-1)}`);
  label([nx, -ny, 0], [nx, ny, 0], `β ${betas![0]} … ${betas!.at(-1)}`);
  const lossName = table === 'cleanLoss' ? 'clean loss' : 'adversarial loss';
  const legend = svg.append('g').attr('class', 'value-range').attr('fill', '#222').attr('font-size', 11);
  legend
    .append('text')
    .attr('x', width - LEGEND_WIDTH + 6)
    .attr('y', 48)
    .text(lossName);
  [max, min].forEach((v, i) => {
    legend
      .append('rect')
      .attr('x', width - LEGEND_WIDTH + 6)
      .attr('y', 56 + i * 20)
      .attr('width', 12)
      .attr('height', 12)
      .attr('fill', color(v));
    legend
      .append('text')
      .attr('x', width - LEGEND_WIDTH + 24)
      .attr('y', 66 + i * 20)
      .text(`${i === 0 ? 'max' : 'min'} ${d3.format('.4~g')(v)}`);
  });
  return canvas.serialize();
}
