/**
 * `weightscape correlate`: Pearson, Spearman and Kendall τ between a flatness measure and a gap measure across
 * checkpoints.
 */
import { Command } from 'commander';
import { WeightscapeError } from '../src/errors.ts';
import { correlateResults, MAX_RESAMPLES } from '../src/stats/correlate-results.ts';
import { readAnyResult } from '../src/results/read-result.ts';
import { scatterSvg } from '../src/report/scatter-plot.ts';
import { globalOptions } from './context.ts';
import { claimOutputs, writeOutput } from './output.ts';

export function correlateCommand(): Command {
  return new Command('correlate')
    .description(
      'correlate a measure (--x) with another (--y) across checkpoints, from result files grouped by checkpoint',
    )
    .argument('<results...>', 'result files (flatness, eval, landscape) of several checkpoints')
    .requiredOption('--x <metric>', 'dotted path, e.g. adversarial.averageIncrease or flatness.adversarial.curvature')
    .requiredOption('--y <metric>', 'dotted path, e.g. gap.accuracy')
    .option('--resamples <n>', 'bootstrap resamples', '2000')
    .option('--permutations <n>', 'permutations for the p-values (exact when all orderings are fewer)', '10000')
    .option('--json', 'print the result as JSON')
    .option('--out <file>', 'also write the JSON result here')
    .option('--svg <file>', 'write the scatter plot with its fit line and coefficients')
    .action(
      (
        paths: string[],
        flags: {
          x: string;
          y: string;
          resamples: string;
          permutations: string;
          json?: boolean;
          out?: string;
          svg?: string;
        },
        command: Command,
      ) => {
        const { seed } = globalOptions(command);
        const [resamples, permutations] = (['resamples', 'permutations'] as const).map((flag) => {
          const value = Number(flags[flag]);
          if (!Number.isInteger(value) || value < 100 || value > MAX_RESAMPLES) {
            throw new WeightscapeError(
              'bad-argument',
              `--${flag}: expected an integer in 100–${MAX_RESAMPLES} (got '${flags[flag]}')`,
            );
          }
          return value;
        }) as [number, number];
        claimOutputs('correlate', [
          { flag: '--out', path: flags.out, kind: 'file' },
          { flag: '--svg', path: flags.svg, kind: 'file' },
        ]);
        const results = paths.map((path) => ({ path, json: readAnyResult(path).json }));
        const result = correlateResults(results, flags.x, flags.y, { resamples, permutations, seed });
        for (const note of result.notes) process.stderr.write(`weightscape: note: ${note}\n`);
        const json = `${JSON.stringify(result, null, 2)}\n`;
        if (flags.out !== undefined) writeOutput(flags.out, json, paths);
        if (flags.svg !== undefined) writeOutput(flags.svg, scatterSvg(result, { width: 560, height: 360 }), paths);
        if (flags.json) {
          process.stdout.write(json);
          return;
        }
        const f3 = (v: number | null) => (v === null ? 'undefined' : v.toFixed(3));
        const pValueText = ({ pValue, exact }: { pValue: number | null; exact: boolean }) =>
          pValue === null ? 'undefined' : `${pValue.toPrecision(3)}${exact ? ' (exact)' : ''}`;
        const rows = Object.entries(result.coefficients).map(
          ([name, c]) =>
            `${name.padEnd(10)}${f3(c.value).padStart(9)}   [${f3(c.interval.low)}, ${f3(c.interval.high)}]   ` +
            `p = ${pValueText(c.permutation)}`,
        );
        process.stdout.write(
          [
            `${result.x} vs ${result.y}, ${result.points.length} checkpoints`,
            `${'measure'.padEnd(10)}${'value'.padStart(8)}   95% bootstrap interval   permutation p`,
            ...rows,
          ].join('\n') + '\n',
        );
      },
    );
}
