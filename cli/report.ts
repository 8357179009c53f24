/** `weightscape report`: SVG figures, tables and an index.html from result files (a study too) and run directories. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { WeightscapeError } from '../src/errors.ts';
import { buildReport, readReportInputs } from '../src/report/build-report.ts';
import { parseContourOptions } from '../src/report/contour-levels.ts';
import { landscapeExports, parseExportFormats } from '../src/report/landscape-exports.ts';
import { writeFileAtomic } from '../src/results/atomic-write.ts';
import { globalOptions } from './context.ts';
import { claimOutputs } from './output.ts';

export function reportCommand(): Command {
  return new Command('report')
    .description(
      "flatness curves, training curves, the robust generalization gap table, a combined figure, a study's panels, " +
        'Hessian spectra and index.html',
    )
    .argument(
      '<inputs...>',
      'landscape, eval, flatness, correlation, study or hessian results, run directories (their log.json)',
    )
    .requiredOption('--out <dir>', 'output directory')
    .option('--width <px>', 'chart width', '560')
    .option('--height <px>', 'chart height', '340')
    .option('--accuracy-curves', "also draw the 1D landscapes' clean and adversarial accuracy along α, in %")
    .option('--text-as-paths', "every SVG's text as glyph outlines (DejaVu Sans), for PDFs that look the same anywhere")
    .option('--log-y', '1D curves on a log-scale y axis (refused with a note, drawn linear, when a loss is ≤ 0)')
    .option('--x-label <text>', "every scatter's x-axis label, in place of the measure's description")
    .option('--y-label <text>', "every scatter's y-axis label, in place of the measure's description")
    .addOption(
      new Option('--format <format>', "svg (all files) or the gap table (a study's table) alone as md or csv on stdout")
        .choices(['svg', 'md', 'csv'])
        .default('svg'),
    )
    .option('--export <formats>', 'also write every landscape as csv, vtp (ParaView) and/or npy, comma-separated')
    .option('--levels <spec>', 'contour levels: log (default), linear, log:<n>, linear:<n>, <n> (log) or v1,v2,…')
    .option('--vmin <x>', 'contour colour range start (lower values get the first colour)')
    .option('--vmax <x>', 'contour colour range end (higher values get the last colour)')
    .action(
      (
        paths: string[],
        flags: {
          out: string;
          width: string;
          height: string;
          format: 'svg' | 'md' | 'csv';
          export?: string;
          levels?: string;
          vmin?: string;
          vmax?: string;
          logY?: boolean;
          accuracyCurves?: boolean;
          textAsPaths?: boolean;
          xLabel?: string;
          yLabel?: string;
        },
        command: Command,
      ) => {
        globalOptions(command);
        const width = Number(flags.width);
        const height = Number(flags.height);
        if (!(width >= 200 && width <= 4000 && height >= 150 && height <= 4000))
          throw new WeightscapeError('bad-argument', '--width/--height: expected pixels in 200–4000 and 150–4000');
        const formats = flags.export === undefined ? [] : parseExportFormats(flags.export);
        if (formats.length > 0 && flags.format !== 'svg')
          throw new WeightscapeError('bad-argument', '--export: files go into --out; not with --format md or csv');
        const contour = parseContourOptions(flags);
        if (flags.format === 'svg') claimOutputs('report', [{ flag: '--out', path: flags.out, kind: 'directory' }]);
        const inputs = readReportInputs(paths);
        const { logY, xLabel, yLabel } = flags;
        const { files, notes } = buildReport(
          inputs,
          { width, height, logY, xLabel, yLabel },
          {
            contour,
            accuracyCurves: flags.accuracyCurves === true,
            textAsPaths: flags.textAsPaths === true,
          },
        );
        for (const note of notes ?? []) process.stderr.write(`weightscape: note: ${note}\n`);
        if (flags.format !== 'svg') {
          const table = files[`gap-table.${flags.format}`] ?? files[`study-table.${flags.format}`];
          if (table === undefined)
            throw new WeightscapeError(
              'bad-argument',
              'report: no gap table to print (give eval results with both splits, run directories or a study result)',
            );
          process.stdout.write(table);
          return;
        }
        const exported = landscapeExports(inputs.landscapes, formats, Object.keys(files));
        for (const note of exported.notes) process.stderr.write(`weightscape: note: ${note}\n`);
        const all = { ...files, ...exported.files };
        mkdirSync(flags.out, { recursive: true });
        for (const [name, content] of Object.entries(all)) writeFileAtomic(join(flags.out, name), content);
        process.stdout.write(`wrote ${Object.keys(all).sort().join(', ')} to ${flags.out}\n`);
      },
    );
}
