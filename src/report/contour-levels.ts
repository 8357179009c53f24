/**
 * The levels of a contour plot: log-spaced by default (as Li et al. 2018 draw loss landscapes, so
 * that the basin shows as several bands rather than one colour), linear, or given; and the strict
 * parsing of `--levels`, `--vmin` and `--vmax`.
 */
import * as d3 from 'd3';
import { WeightscapeError } from '../errors.ts';

export type LevelSpacing = 'log' | 'linear';

export interface ContourOptions {
  /** A spacing with a count of levels, or the levels themselves (strictly increasing). */
  levels?: { spacing: LevelSpacing; count: number } | number[];
  /** Ends of the colour range; values beyond them get the end colours. Default: the grid's min and max. */
  vmin?: number;
  vmax?: number;
}

export const DEFAULT_LEVEL_COUNT = 15;

const LEVELS_HELP = 'expected log, linear, log:<n>, linear:<n>, <n> (2–100) or increasing values v1,v2,…';

function bad(flag: string, message: string): never {
  throw new WeightscapeError('bad-argument', `${flag}: ${message}`);
}

function parseCount(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !(n >= 2 && n <= 100)) bad(flag, `${JSON.stringify(text)}: ${LEVELS_HELP}`);
  return n;
}

function parseNumber(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) bad(flag, `${JSON.stringify(text)} is not a finite number`);
  return value;
}

/** Parses the `--levels`, `--vmin` and `--vmax` flags; throws a bad-argument error naming the flag. */
export function parseContourOptions(flags: { levels?: string; vmin?: string; vmax?: string }): ContourOptions {
  const options: ContourOptions = {};
  const text = flags.levels?.trim();
  if (text !== undefined) {
    const [spacing, count] = text.split(':') as [string, string | undefined];
    if (spacing === 'log' || spacing === 'linear')
      options.levels = { spacing, count: count === undefined ? DEFAULT_LEVEL_COUNT : parseCount('--levels', count) };
    else if (!text.includes(',')) options.levels = { spacing: 'log', count: parseCount('--levels', text) };
    else {
      const values = text.split(',').map((v) => parseNumber('--levels', v));
      for (let i = 1; i < values.length; i++)
        if (!(values[i]! > values[i - 1]!))
          bad('--levels', `${values[i - 1]} then ${values[i]}: levels must be strictly increasing (no duplicates)`);
      if (values.length > 100) bad('--levels', `${values.length} levels: at most 100`);
      options.levels = values;
    }
  }
  if (flags.vmin !== undefined) options.vmin = parseNumber('--vmin', flags.vmin);
  if (flags.vmax !== undefined) options.vmax = parseNumber('--vmax', flags.vmax);
  if (options.vmin !== undefined && options.vmax !== undefined && !(options.vmin < options.vmax))
    bad('--vmin', `${options.vmin} is not below --vmax ${options.vmax}`);
  if (Array.isArray(options.levels) && (options.vmin !== undefined || options.vmax !== undefined))
    bad(options.vmin !== undefined ? '--vmin' : '--vmax', 'not with a list of --levels (the list sets the range)');
  return options;
}

export interface Levels {
  /** The level values, increasing: band k lies between levels[k] and levels[k + 1]. */
  values: number[];
  /** Band k's colour; values below the first level or above the last get the end colours. */
  colour: (band: number) => string;
  /** How the levels were chosen, for the colour bar's title. */
  spacing: LevelSpacing | 'given';
  /** Whether some values lie below the first level or above the last (drawn in the end colours). */
  clipped: { low: boolean; high: boolean };
}

/** The contour levels of a grid's finite values under the options; throws when --vmin/--vmax leave no range. */
export function contourLevels(finite: number[], options: ContourOptions = {}): Levels {
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const given = Array.isArray(options.levels) ? options.levels : undefined;
  const spec =
    options.levels === undefined || Array.isArray(options.levels)
      ? { spacing: 'log' as const, count: DEFAULT_LEVEL_COUNT }
      : options.levels;
  let values: number[];
  if (given !== undefined) values = given;
  else {
    const lo = options.vmin ?? min;
    const hi = options.vmax ?? max;
    if (options.vmin !== undefined && !(lo < hi)) bad('--vmin', `${lo} is not below the largest value ${hi}`);
    if (options.vmax !== undefined && !(lo < hi)) bad('--vmax', `${hi} is not above the smallest value ${lo}`);
    const n = spec.count;
    if (!(hi > lo)) values = [lo];
    else if (spec.spacing === 'linear') values = d3.range(n).map((i) => lo + ((hi - lo) * i) / (n - 1));
    else {
      // Geometric spacing of (value − lo + ε): with lo > 0, ε = lo, which is plain geometric spacing
      // between lo and hi; a range reaching 0 or below is shifted so that it starts at ε = 1% of the
      // range (a log scale cannot start at or below 0).
      const eps = lo > 0 ? lo : (hi - lo) / 100;
      const shift = lo - eps;
      const ratio = (hi - shift) / eps;
      values = d3.range(n).map((i) => (i === n - 1 ? hi : shift + eps * ratio ** (i / (n - 1))));
    }
  }
  const bands = Math.max(1, values.length - 1);
  const colour = (band: number) =>
    d3.interpolateViridis(bands === 1 ? 0.5 : Math.min(Math.max(band, 0), bands - 1) / (bands - 1));
  const clipped = { low: min < values[0]!, high: max > values.at(-1)! };
  return { values, colour, spacing: given === undefined ? spec.spacing : 'given', clipped };
}

/** Level labels with the fewest significant digits (3 to 6) that keep neighbouring labels distinct. */
export function levelLabels(values: number[]): string[] {
  for (let digits = 3; ; digits++) {
    const labels = values.map(d3.format(`.${digits}~g`));
    if (digits === 6 || new Set(labels).size === labels.length) return labels;
  }
}
