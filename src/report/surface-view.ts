/**
 * The 3D surface in index.html, rotatable with the mouse (or the arrow keys): the quads of the
 * static surface (surface-3d.ts) embedded as JSON beside an inline SVG, redrawn by a small inline
 * script on every drag. The page needs no network and no library; the static SVG file stays the
 * figure a paper uses.
 */
import * as d3 from 'd3';
import { DEFAULT_VIEW, surfaceQuads, Z_SCALE } from './surface-3d.ts';
import { escapeHtml } from './escape-html.ts';

/**
 * surface-3d.ts's projectPoint as browser JavaScript (x right, y up, depth away from the viewer);
 * test/report/surface-view.test.ts checks that both give the same numbers.
 */
export const PROJECT_SOURCE = `function project(p, azimuth, elevation) {
  var a = azimuth * Math.PI / 180, e = elevation * Math.PI / 180;
  var x1 = p[0] * Math.cos(a) - p[1] * Math.sin(a);
  var y1 = p[0] * Math.sin(a) + p[1] * Math.cos(a);
  return { x: x1, y: y1 * Math.sin(e) + p[2] * Math.cos(e), depth: y1 * Math.cos(e) - p[2] * Math.sin(e) };
}`;

/** Draws every `.surface-view` of the page and turns it on drag; runs once, after the page's markup. */
const SCRIPT = `(function () {
${PROJECT_SOURCE}
var NS = 'http://www.w3.org/2000/svg';
document.querySelectorAll('.surface-view').forEach(function (view) {
  var data = JSON.parse(view.querySelector('script[type="application/json"]').textContent);
  var svg = view.querySelector('svg');
  var width = data.width, height = data.height, azimuth = data.azimuth, elevation = data.elevation;
  var box = [];
  [-1, 1].forEach(function (x) { [-1, 1].forEach(function (y) { [0, data.zScale].forEach(function (z) { box.push([x, y, z]); }); }); });
  function draw() {
    while (svg.lastChild) svg.removeChild(svg.lastChild);
    var extent = box.map(function (p) { return project(p, azimuth, elevation); });
    var xs = extent.map(function (p) { return p.x; }), ys = extent.map(function (p) { return p.y; });
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    var k = Math.min((width - 20) / (maxX - minX), (height - 20) / (maxY - minY));
    var cx = width / 2 - k * (maxX + minX) / 2, cy = height / 2 + k * (maxY + minY) / 2;
    var quads = data.quads.map(function (q, i) {
      var points = q.c.map(function (c) { return project([c[0], c[1], c[2] * data.zScale], azimuth, elevation); });
      var depth = points.reduce(function (s, p) { return s + p.depth; }, 0) / points.length;
      return { points: points, depth: depth, fill: q.f, i: i };
    });
    quads.sort(function (p, q) { return q.depth - p.depth || p.i - q.i; });
    quads.forEach(function (q) {
      var path = document.createElementNS(NS, 'path');
      path.setAttribute('d', 'M' + q.points.map(function (p) {
        return (cx + k * p.x).toFixed(1) + ',' + (cy - k * p.y).toFixed(1);
      }).join('L') + 'Z');
      path.setAttribute('fill', q.fill);
      path.setAttribute('stroke', q.fill);
      path.setAttribute('stroke-width', '0.4');
      svg.appendChild(path);
    });
    view.querySelector('.surface-angles').textContent =
      'azimuth ' + Math.round(azimuth) + '°, elevation ' + Math.round(elevation) + '°';
  }
  var last = null;
  svg.addEventListener('pointerdown', function (event) { last = [event.clientX, event.clientY]; svg.setPointerCapture(event.pointerId); });
  svg.addEventListener('pointermove', function (event) {
    if (last === null) return;
    azimuth += (event.clientX - last[0]) * 0.5;
    elevation = Math.max(0, Math.min(90, elevation + (event.clientY - last[1]) * 0.5));
    last = [event.clientX, event.clientY];
    draw();
  });
  svg.addEventListener('pointerup', function () { last = null; });
  svg.addEventListener('keydown', function (event) {
    var step = { ArrowLeft: [-5, 0], ArrowRight: [5, 0], ArrowUp: [0, 5], ArrowDown: [0, -5] }[event.key];
    if (!step) return;
    azimuth += step[0];
    elevation = Math.max(0, Math.min(90, elevation + step[1]));
    draw();
    event.preventDefault();
  });
  draw();
});
})();`;

/** JSON inside a script element: `<` escaped, so that no value can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** The rotatable view of one loss table (values[i_beta][i_alpha]): a figure of the page. */
export function surfaceViewHtml(values: (number | null)[][], title: string, width = 560, height = 420): string {
  const { quads, min, max } = surfaceQuads(values);
  const color = d3.scaleSequential(d3.interpolateViridis).domain([min, max > min ? max : min + 1]);
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  const data = {
    width,
    height,
    zScale: Z_SCALE,
    ...DEFAULT_VIEW,
    quads: quads.map((q) => ({ c: q.corners.map((c) => c.map(round)), f: d3.rgb(color(q.value)).formatHex() })),
  };
  return (
    `<figure class="surface-view"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" tabindex="0" role="img" aria-label="${escapeHtml(title)}, rotatable" ` +
    `style="touch-action:none;cursor:grab;background:#fff"></svg>` +
    `<script type="application/json">${scriptJson(data)}</script>` +
    `<figcaption>${escapeHtml(title)}: drag (or use the arrow keys) to turn the surface; ` +
    `<span class="surface-angles"></span></figcaption></figure>`
  );
}

/** The script that draws and turns every surface view; included once, at the end of the page. */
export function surfaceViewScript(): string {
  return `<script>\n${SCRIPT}\n</script>`;
}
