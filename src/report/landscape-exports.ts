/**
 * A landscape's numbers for other tools (`report --export csv,vtp,npy`): a long-format CSV for
 * pandas/R, a VTK XML PolyData surface (.vtp) for ParaView as loss-landscape's h52vtp writes, and
 * float64 .npy grids for NumPy. Every number is written with full round-trip precision; the grid is
 * values[i_beta][i_alpha], so a point's flat index is k = i_beta·nα + i_alpha in every format.
 * Pure: a result in, file contents out.
 */
import { WeightscapeError } from '../errors.ts';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import { fileNamer, safeName } from './safe-file-name.ts';

export const EXPORT_FORMATS = ['csv', 'vtp', 'npy'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The measures of a landscape, in file order, with their file-name parts. */
const MEASURES = [
  { key: 'cleanLoss', file: 'clean-loss' },
  { key: 'cleanAccuracy', file: 'clean-accuracy' },
  { key: 'robustLoss', file: 'robust-loss' },
  { key: 'robustAccuracy', file: 'robust-accuracy' },
] as const;
type MeasureKey = (typeof MEASURES)[number]['key'];
type Grid = ReadonlyArray<ReadonlyArray<number | null>>;

/** `--export`'s value: a comma-separated list of csv, vtp, npy (each once at most, in any order). */
export function parseExportFormats(text: string): ExportFormat[] {
  const formats = text.split(',').map((f) => f.trim());
  for (const format of formats)
    if (!(EXPORT_FORMATS as readonly string[]).includes(format))
      throw new WeightscapeError(
        'bad-argument',
        `--export: unknown format ${JSON.stringify(format)} (expected a comma-separated list of ${EXPORT_FORMATS.join(', ')})`,
      );
  return EXPORT_FORMATS.filter((f) => formats.includes(f));
}

/** The measured tables of a landscape (the robust ones only when measured). */
function measures(result: LandscapeResult): Array<{ key: MeasureKey; file: string; table: Grid }> {
  return MEASURES.flatMap(({ key, file }) => {
    const table = result.values[key];
    return table === null ? [] : [{ key, file, table }];
  });
}

/**
 * Long format `alpha,beta,measure,value`: one row per measure and grid point (measure, then β, then
 * α, so each measure's block is its table in C order). 1D sweeps leave beta empty; an uncomputed
 * point keeps its row with an empty value, so the row count is always points × measures.
 */
export function landscapeCsv(result: LandscapeResult): string {
  const { alphas, betas } = result.grid;
  const lines = ['alpha,beta,measure,value'];
  for (const { key, table } of measures(result))
    table.forEach((row, iBeta) =>
      row.forEach((value, iAlpha) => {
        const beta = betas === null ? '' : String(betas[iBeta]);
        lines.push(`${String(alphas[iAlpha])},${beta},${key},${value === null ? '' : String(value)}`);
      }),
    );
  return `${lines.join('\n')}\n`;
}

/**
 * A VTK XML PolyData surface of a complete 2D landscape: point k = i_beta·nα + i_alpha at
 * (α, β, z) with z the `surface` loss, one quad per grid cell, and every measure as a PointData
 * array named after it. Refuses 1D sweeps and incomplete ones (VTK's ASCII reader has no NaN).
 */
export function landscapeVtp(result: LandscapeResult, surface: 'cleanLoss' | 'robustLoss' = 'cleanLoss'): string {
  const { alphas, betas } = result.grid;
  if (betas === null) throw new WeightscapeError('bad-argument', 'a .vtp surface needs a 2D landscape');
  const z = result.values[surface];
  if (z === null) throw new WeightscapeError('bad-argument', `a .vtp surface of ${surface}: not measured`);
  const all = measures(result);
  if (all.some(({ table }) => table.some((row) => row.includes(null))))
    throw new WeightscapeError('bad-argument', 'a .vtp surface needs a complete landscape');
  const nA = alphas.length;
  const points = betas.flatMap((beta, iB) => alphas.map((alpha, iA) => `${alpha} ${beta} ${z[iB]![iA]}`));
  const connectivity: string[] = [];
  const offsets: number[] = [];
  for (let iB = 0; iB + 1 < betas.length; iB++)
    for (let iA = 0; iA + 1 < nA; iA++) {
      const k = iB * nA + iA;
      // Counter-clockwise seen from +z: (α, β), (α+1, β), (α+1, β+1), (α, β+1).
      connectivity.push(`${k} ${k + 1} ${k + 1 + nA} ${k + nA}`);
      offsets.push(4 * (offsets.length + 1));
    }
  const array = (attributes: string, values: string[]) => [
    `        <DataArray ${attributes} format="ascii">`,
    `          ${values.join(' ')}`,
    '        </DataArray>',
  ];
  return [
    '<?xml version="1.0"?>',
    '<VTKFile type="PolyData" version="0.1" byte_order="LittleEndian">',
    '  <PolyData>',
    `    <Piece NumberOfPoints="${points.length}" NumberOfVerts="0" NumberOfLines="0" NumberOfStrips="0" ` +
      `NumberOfPolys="${offsets.length}">`,
    `      <PointData Scalars="${surface}">`,
    ...all.flatMap(({ key, table }) => array(`type="Float64" Name="${key}"`, table.flat().map(String))),
    '      </PointData>',
    '      <Points>',
    ...array('type="Float64" NumberOfComponents="3"', points),
    '      </Points>',
    '      <Polys>',
    ...array('type="Int32" Name="connectivity"', connectivity),
    ...array('type="Int32" Name="offsets"', offsets.map(String)),
    '      </Polys>',
    '    </Piece>',
    '  </PolyData>',
    '</VTKFile>',
    '',
  ].join('\n');
}

/**
 * A float64 .npy file (format 1.0, C order, little-endian); null becomes NaN. The header is padded
 * with spaces and ends in '\n' so the data starts on a multiple of 64 bytes (NumPy's ARRAY_ALIGN).
 */
export function float64Npy(shape: number[], values: ReadonlyArray<number | null>): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${dims}), }`;
  // 10 bytes before the header: magic (6), version (2), header length (2).
  header += `${' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + 8 * values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  values.forEach((v, i) => view.setFloat64(10 + header.length + 8 * i, v ?? NaN, true));
  return out;
}

/** Each measure as a [nβ, nα] grid ([nα] for 1D sweeps), and the axes, as .npy files keyed by name part. */
export function landscapeNpys(result: LandscapeResult): Record<string, Uint8Array> {
  const { alphas, betas } = result.grid;
  const shape = betas === null ? [alphas.length] : [betas.length, alphas.length];
  const files: Record<string, Uint8Array> = { alphas: float64Npy([alphas.length], alphas) };
  if (betas !== null) files.betas = float64Npy([betas.length], betas);
  for (const { file, table } of measures(result)) files[file] = float64Npy(shape, table.flat());
  return files;
}

export interface LandscapeExports {
  /** File name → content, to be written into the report directory beside the figures. */
  files: Record<string, string | Uint8Array>;
  /** What was not exported, or exported with gaps, and why (for stderr). */
  notes: string[];
}

/**
 * The exports of every landscape, named after the contour figure's stem (`contour-<label>` for 2D,
 * `curve-<label>` for 1D): `<stem>.csv`, `<stem>-clean.vtp`/`-adversarial.vtp`, `<stem>-<measure>.npy`,
 * `<stem>-alphas.npy`/`-betas.npy`; names already in `taken` are never reused.
 */
export function landscapeExports(
  landscapes: Array<{ label: string; result: LandscapeResult }>,
  formats: readonly ExportFormat[],
  taken: Iterable<string> = [],
): LandscapeExports {
  const files: Record<string, string | Uint8Array> = {};
  const notes: string[] = [];
  const name = fileNamer(taken);
  const stems = fileNamer();
  // The report's canonical order (label, then content), so the order given never changes a name.
  const sorted = landscapes
    .map((l) => ({ ...l, key: JSON.stringify(l.result) }))
    .sort((a, b) => (a.label !== b.label ? (a.label < b.label ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { label, result } of sorted) {
    const twoD = result.grid.betas !== null;
    const stem = stems(`${twoD ? 'contour' : 'curve'}-${safeName(label)}`, 'x').slice(0, -2);
    const complete = measures(result).every(({ table }) => table.every((row) => !row.includes(null)));
    if (!complete && (formats.includes('csv') || formats.includes('npy')))
      notes.push(`${label}: incomplete landscape; uncomputed points are empty in the CSV and NaN in the .npy grids`);
    if (formats.includes('csv')) files[name(stem, 'csv')] = landscapeCsv(result);
    if (formats.includes('vtp')) {
      if (!twoD) notes.push(`${label}: a 1D landscape has no surface; no .vtp written`);
      else if (!complete) notes.push(`${label}: incomplete landscape; no .vtp written (VTK has no missing points)`);
      else {
        files[name(`${stem}-clean`, 'vtp')] = landscapeVtp(result, 'cleanLoss');
        if (result.values.robustLoss !== null)
          files[name(`${stem}-adversarial`, 'vtp')] = landscapeVtp(result, 'robustLoss');
      }
    }
    if (formats.includes('npy'))
      for (const [part, bytes] of Object.entries(landscapeNpys(result))) files[name(`${stem}-${part}`, 'npy')] = bytes;
  }
  if (landscapes.length === 0 && formats.length > 0) notes.push('--export: no landscape among the inputs');
  return { files, notes };
}
