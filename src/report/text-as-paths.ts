/**
 * Text as paths (`report --text-as-paths`): every <text> of a chart becomes the outline of its glyphs
 * in DejaVu Sans (bold where the text is bold), so that a PDF made from the SVG (Inkscape, rsvg,
 * a journal's converter) shows the same letters on any machine, with no font to embed or find.
 * The path keeps the text's class, colours, stroke, transform and <title> tooltip, and carries the
 * words in aria-label (screen readers and searches still find them). Positions follow SVG's rules for the
 * attributes the charts use: x, y, dy on <text> and its <tspan>s, text-anchor, font-size and
 * font-weight, inherited from the enclosing groups.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Jsdom from 'jsdom';

/**
 * The part of opentype.js (which ships no types) this file uses: glyph by glyph, since its text
 * layout stops at a DejaVu substitution table it does not support (ligatures do not matter here).
 */
interface Glyph {
  advanceWidth: number;
  getPath(x: number, y: number, fontSize: number): { toPathData(decimals: number): string };
}
interface Font {
  unitsPerEm: number;
  charToGlyph(char: string): Glyph;
}

const advance = (font: Font, text: string, size: number) =>
  [...text].reduce((sum, char) => sum + font.charToGlyph(char).advanceWidth, 0) * (size / font.unitsPerEm);

function glyphOutlines(font: Font, text: string, x: number, y: number, size: number): string {
  let at = x;
  let d = '';
  for (const char of text) {
    const glyph = font.charToGlyph(char);
    d += glyph.getPath(at, y, size).toPathData(2);
    at += glyph.advanceWidth * (size / font.unitsPerEm);
  }
  return d;
}

// Loaded on first use: only this flag needs the fonts and opentype.js.
const requireModule = createRequire(import.meta.url);
let fonts: { regular: Font; bold: Font } | undefined;
function loadFonts(): { regular: Font; bold: Font } {
  if (fonts !== undefined) return fonts;
  const opentype = requireModule('opentype.js') as { parse(buffer: ArrayBuffer): Font };
  const font = (file: string) => {
    const bytes = readFileSync(requireModule.resolve(`dejavu-fonts-ttf/ttf/${file}`));
    return opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  return (fonts = { regular: font('DejaVuSans.ttf'), bold: font('DejaVuSans-Bold.ttf') });
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Text attributes that have no meaning on a path (the rest, colours and strokes, carry over). */
const TEXT_ONLY = new Set(['x', 'y', 'dx', 'dy', 'text-anchor', 'font-size', 'font-weight', 'font-family']);

/** An inherited presentation attribute: the element's own, else its nearest ancestor's. */
function inherited(element: Element, name: string): string | null {
  for (let e: Element | null = element; e !== null; e = e.parentElement) {
    const value = e.getAttribute(name);
    if (value !== null) return value;
  }
  return null;
}

const number = (value: string | null, fallback: number) => (value === null ? fallback : Number(value));

/** A run of characters drawn from one start point (a <text> without <tspan>s, or one <tspan>). */
interface Run {
  text: string;
  x: number;
  y: number;
  anchor: string;
  size: number;
  bold: boolean;
}

/** The characters a text shows: its own text nodes, not a <title> tooltip inside it. */
const shownText = (e: Element) =>
  [...e.childNodes].map((n) => (n.nodeType === 3 ? (n.textContent ?? '') : '')).join('');

function runs(text: Element): Run[] {
  const out: Run[] = [];
  let x = number(text.getAttribute('x'), 0);
  let y = number(text.getAttribute('y'), 0) + number(text.getAttribute('dy'), 0);
  const style = (e: Element) => ({
    anchor: inherited(e, 'text-anchor') ?? 'start',
    size: number(inherited(e, 'font-size'), 16),
    bold: ['bold', '600', '700', '800', '900'].includes(inherited(e, 'font-weight') ?? ''),
  });
  const spans = [...text.children].filter((c) => c.localName === 'tspan');
  if (spans.length === 0) return [{ text: shownText(text), x, y, ...style(text) }];
  for (const span of spans) {
    x = number(span.getAttribute('x'), x);
    y = number(span.getAttribute('y'), y) + number(span.getAttribute('dy'), 0);
    const run = { text: shownText(span), x, y, ...style(span) };
    out.push(run);
    // A following tspan without its own x continues where this one ends.
    x += advance(run.bold ? loadFonts().bold : loadFonts().regular, run.text, run.size);
  }
  return out;
}

function outline(run: Run): string {
  const font = run.bold ? loadFonts().bold : loadFonts().regular;
  const width = advance(font, run.text, run.size);
  const shift = run.anchor === 'middle' ? width / 2 : run.anchor === 'end' ? width : 0;
  return glyphOutlines(font, run.text, run.x - shift, run.y, run.size);
}

/** The same SVG document with every <text> drawn as glyph outlines. */
export function textAsPaths(svg: string): string {
  const { JSDOM } = requireModule('jsdom') as typeof Jsdom;
  const window = new JSDOM('').window;
  const doc = new window.DOMParser().parseFromString(svg, 'image/svg+xml');
  for (const text of [...doc.getElementsByTagNameNS(SVG_NS, 'text')]) {
    const path = doc.createElementNS(SVG_NS, 'path');
    for (const attr of [...text.attributes]) if (!TEXT_ONLY.has(attr.name)) path.setAttribute(attr.name, attr.value);
    const shown = runs(text);
    path.setAttribute('d', shown.map(outline).join(''));
    path.setAttribute('aria-label', shown.map((r) => r.text).join(''));
    path.setAttribute('role', 'img');
    // A tooltip (the whole of a shortened label) stays a tooltip.
    for (const title of [...text.children].filter((c) => c.localName === 'title')) path.appendChild(title);
    text.replaceWith(path);
  }
  return `${new window.XMLSerializer().serializeToString(doc)}\n`;
}
