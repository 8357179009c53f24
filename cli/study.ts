/** `weightscape study`: flatness against the robust gap across the epochs of runs and across runs. */
import { Command, Option } from 'commander';
import { parseAttack } from '../src/attacks/attack-spec.ts';
import { parseDataSpec, type Split } from '../src/data/dataset.ts';
import { metricAt } from '../src/results/metric-path.ts';
import type { StudyResult } from '../src/results/study-schema.ts';
import { checkRunData, listStudyInputs } from '../src/study/study-inputs.ts';
import { runStudy, STUDY_FILE } from '../src/study/run-study.ts';
import { resolveStudySettings } from '../src/study/study-settings.ts';
import { createContext, globalOptions } from './context.ts';
import { addModelOptions, modelRequest, type ModelFlags } from './model-options.ts';
import { checkOutputPaths } from '../src/results/output-path.ts';
import { claimOutputs } from './output.ts';
import { positiveInteger, positiveNumber } from './parse-number.ts';
import { addShardOptions, shardFromFlags, type ShardFlags } from './shard-options.ts';

interface StudyFlags extends ModelFlags, ShardFlags {
  data: string;
  attack?: string;
  subset: string;
  landscapeSplit: Split;
  landscapeSubset: string;
  directions: string;
  rho: string;
  rhoAdversarial: string;
  points: string;
  batchSize: string;
  measures?: string;
  resamples: string;
  permutations: string;
  merge?: boolean;
  out: string;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(100 * v).toFixed(1)}%`);
const fixed = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '-' : v.toFixed(digits));

/** The table printed at the end: per checkpoint the gap and the first measure, then the correlations over all. */
function summaryLines(study: StudyResult): string[] {
  const measure = study.settings.measures[0]!;
  const value = (c: StudyResult['checkpoints'][number]) => metricAt(c.flatness, measure) ?? null;
  const lines = [
    `${'checkpoint'.padEnd(28)}${'train robust'.padStart(13)}${'test robust'.padStart(12)}` +
      `${'gap (pts)'.padStart(10)}  ${measure}`,
    ...study.checkpoints.map((c) => {
      const name = c.run === null ? c.path : `${c.run} epoch ${c.epoch}`;
      const gap = c.gap ? (100 * c.gap.accuracy).toFixed(1) : '-';
      return (
        `${name.slice(-28).padEnd(28)}${pct(c.train.robust?.accuracy).padStart(13)}` +
        `${pct(c.test.robust?.accuracy).padStart(12)}${gap.padStart(10)}  ${fixed(value(c))}`
      );
    }),
    '',
    `correlation with the robust gap (${study.settings.gap}), over all ${study.checkpoints.length} checkpoints:`,
  ];
  for (const c of study.correlations.filter((c) => c.scope === 'all')) {
    const r = c.result?.coefficients;
    if (r === undefined) {
      lines.push(`  ${c.measure}: ${c.note}`);
      continue;
    }
    const coefficient = (name: 'pearson' | 'spearman' | 'kendall') =>
      `${name} ${fixed(r[name].value, 2)} [${fixed(r[name].interval.low, 2)}, ${fixed(r[name].interval.high, 2)}] p ${fixed(r[name].permutation.pValue, 4)}`;
    lines.push(`  ${c.measure}: ${coefficient('spearman')}; ${coefficient('kendall')}; ${coefficient('pearson')}`);
  }
  return lines;
}

export function studyCommand(): Command {
  return addModelOptions(
    addShardOptions(new Command('study'), 'checkpoints', 'assemble them with study --merge')
      .description(
        'for every checkpoint of the given runs (every saved epoch) and files: the robust gap, flatness measures ' +
          'and 1D curves (cached per checkpoint), their correlations and the report',
      )
      .argument('<paths...>', 'run directories (weightscape train --save-every) or checkpoint files')
      .requiredOption('--data <spec>', 'data set (both splits)')
      .option(
        '--attack <spec>',
        "attack for the robust gap and the adversarial loss (default: PGD-10 at the data's usual eps)",
      )
      .option(
        '--subset <n>',
        'class-stratified subset of each split for the gap (a run trained on --subset: of its training images)',
        '1000',
      )
      .addOption(
        new Option('--landscape-split <split>', 'split of the flatness measures and curves')
          .choices(['train', 'test'])
          .default('train'),
      )
      .option('--landscape-subset <n>', 'class-stratified subset for the flatness measures and curves', '500')
      .option('--directions <m>', 'random filter-normalized directions', '3')
      .option('--rho <x>', 'radius along the random directions (curves span ±2ρ)', '0.5')
      .option('--rho-adversarial <x>', 'radius along the adversarial direction (its curve spans ±2ρ_adv)', '0.05')
      .option('--points <n>', 'points per 1D curve (odd)', '9')
      .option('--batch-size <n>', 'images per batch', '250')
      .option('--measures <paths>', 'flatness measures to correlate with the gap, comma-separated (default: six)')
      .option('--resamples <n>', 'bootstrap resamples', '2000')
      .option('--permutations <n>', 'permutations for the p-values', '10000')
      .option('--merge', 'assemble the study from cached pieces only (after --shard runs); refuses to compute')
      .requiredOption(
        '--out <dir>',
        'study directory: pieces/, study.json and the report (resumes when it holds a study)',
      ),
  ).action(async (paths: string[], flags: StudyFlags, command: Command) => {
    const shard = shardFromFlags(flags);
    // Shards run side by side into one directory: only the final assembly locks it.
    if (shard === undefined) claimOutputs('study', [{ flag: '--out', path: flags.out, kind: 'directory' }]);
    else checkOutputPaths([{ flag: '--out', path: flags.out, kind: 'directory' }]);
    const data = parseDataSpec(flags.data);
    const settings = resolveStudySettings({
      data,
      attack: flags.attack === undefined ? undefined : parseAttack(flags.attack),
      subset: positiveInteger('subset', flags.subset),
      landscapeSplit: flags.landscapeSplit,
      landscapeSubset: positiveInteger('landscape-subset', flags.landscapeSubset),
      directions: positiveInteger('directions', flags.directions),
      rho: positiveNumber('rho', flags.rho),
      rhoAdversarial: positiveNumber('rho-adversarial', flags.rhoAdversarial),
      points: positiveInteger('points', flags.points),
      batchSize: positiveInteger('batch-size', flags.batchSize),
      measures: flags.measures?.split(',').map((m) => m.trim()),
      resamples: positiveInteger('resamples', flags.resamples),
      permutations: positiveInteger('permutations', flags.permutations),
      seed: globalOptions(command).seed,
    });
    const model = modelRequest(flags);
    const listed = listStudyInputs(paths);
    checkRunData(listed.runs, settings.data);
    const context = await createContext(command);
    const started = performance.now();
    const outcome = runStudy({
      ...listed,
      settings,
      dir: flags.out,
      model,
      backend: context.backend,
      shard,
      mergeOnly: flags.merge ?? false,
      onCheckpoint: (input, index, total) => {
        const name = input.run === null ? input.path : `${input.run} epoch ${input.epoch}`;
        const minutes = ((performance.now() - started) / 60_000).toFixed(1);
        process.stderr.write(`[${index}/${total}] ${name} (${input.sha256.slice(0, 12)}), ${minutes} min\n`);
      },
    });
    for (const note of listed.notes) context.stderr(`note: ${note}`);
    if (outcome === undefined) {
      context.stdout(
        `shard ${shard!.index}/${shard!.count}: pieces written under ${flags.out}/pieces; run the study without --shard (or with --merge) to assemble`,
      );
      return;
    }
    const { study } = outcome;
    for (const note of study.notes.filter((n) => !listed.notes.includes(n))) context.stderr(`note: ${note}`);
    context.stdout(
      [
        `wrote ${flags.out}/${STUDY_FILE} (${study.checkpoints.length} checkpoints) and the report ${flags.out}/index.html`,
        '',
        ...summaryLines(study),
      ].join('\n'),
    );
  });
}
