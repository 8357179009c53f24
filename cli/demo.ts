/** `weightscape demo`: two training runs, the study of their epochs and its report, on the bundled data. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { prepareDemoDirectory, writeDemoManifest } from '../src/demo/demo-directory.ts';
import { DEMO_SETUP, runDemo, type DemoSummary } from '../src/demo/run-demo.ts';
import { WeightscapeError } from '../src/errors.ts';
import { createContext } from './context.ts';
import { claimOutputs } from './output.ts';

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const points = (v: number) => (100 * v).toFixed(1);
const fixed = (v: number | null, digits = 3) => (v === null ? '-' : v.toFixed(digits));

/** The paper's claim checked against this run, in one sentence per part. */
export function demoReading(summary: DemoSummary): string[] {
  const [plain, awp] = summary.runs as [DemoSummary['runs'][number], DemoSummary['runs'][number]];
  const spearman = summary.correlation.result?.coefficients.spearman;
  const overfits = plain.gap > plain.firstGap;
  const narrower = awp.gap < plain.gap;
  const positive = spearman?.interval.low !== null && spearman?.interval.low !== undefined && spearman.interval.low > 0;
  const notWorse = awp.testRobust >= plain.testRobust;
  const lines = [
    `PGD-AT's robust gap ${overfits ? 'grows' : 'does not grow'} from ${points(plain.firstGap)} points at epoch ` +
      `${summary.study.runs[0]!.epochs[0]} to ${points(plain.gap)} at epoch ${plain.epochs}; AWP ends ` +
      `${narrower ? `${points(plain.gap - awp.gap)} points narrower` : 'no narrower'} (${points(awp.gap)}), at test ` +
      `robust accuracy ${pct(awp.testRobust)} against ${pct(plain.testRobust)}.`,
    spearman?.value === null || spearman === undefined
      ? `The correlation of ${DEMO_SETUP.measure} with the gap is undefined here (${summary.correlation.note ?? 'see notes'}).`
      : `Across the ${summary.study.checkpoints.length} checkpoints, ` +
        (positive
          ? `the sharper the adversarial loss landscape (${DEMO_SETUP.measure}), the larger the gap`
          : `the sharpness of the adversarial loss landscape (${DEMO_SETUP.measure}) does not clearly go with the gap`) +
        `: Spearman ρ = ${fixed(spearman.value, 2)}, 95% bootstrap interval ` +
        `[${fixed(spearman.interval.low, 2)}, ${fixed(spearman.interval.high, 2)}]` +
        `${positive ? ', above 0' : ', not above 0'}.`,
    overfits && narrower && positive && notWorse
      ? 'As Wu, Xia & Wang (2020) report: robust overfitting comes with a sharper weight loss landscape, and AWP flattens it and narrows the gap.'
      : "Wu, Xia & Wang (2020) report that the gap grows with the landscape's sharpness and that AWP narrows both; " +
        `this run does not show all of it: ${[
          overfits ? '' : "PGD-AT's gap does not grow",
          narrower ? '' : "AWP's gap is not narrower",
          positive ? '' : 'the correlation is not above 0',
          notWorse
            ? ''
            : `AWP's test robust accuracy is ${points(plain.testRobust - awp.testRobust)} points lower, ` +
              'where the paper reports it higher',
        ]
          .filter((s) => s !== '')
          .join('; ')}.`,
  ];
  return lines;
}

function table(summary: DemoSummary): string[] {
  const header =
    `${'run'.padEnd(12)}${'train robust'.padStart(14)}${'test robust'.padStart(13)}${'gap (pts)'.padStart(11)}` +
    `${'first gap'.padStart(11)}${'best test robust'.padStart(22)}   ${DEMO_SETUP.measure} (first → last saved epoch)`;
  return [
    header,
    ...summary.runs.map(
      (r) =>
        `${r.run.padEnd(12)}${pct(r.trainRobust).padStart(14)}${pct(r.testRobust).padStart(13)}` +
        `${points(r.gap).padStart(11)}${points(r.firstGap).padStart(11)}` +
        `${`${pct(r.bestTestRobust)} (epoch ${r.bestEpoch})`.padStart(22)}   ${fixed(r.firstFlatness)} → ${fixed(r.flatness)}`,
    ),
  ];
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'train PGD-AT and PGD-AT + AWP convnets on a small subset of the bundled mini Fashion-MNIST (robust ' +
        'overfitting in minutes), study flatness against the robust gap over their epochs, write the report',
    )
    .option(
      '--out <dir>',
      'report directory; an earlier demo there is replaced, other files are never touched ' +
        '(the committed example in reports/demo was made with --out reports/demo)',
      'demo-report',
    )
    .option(
      '--epochs <n>',
      `training epochs per run (saved epochs and milestones scale with it)`,
      String(DEMO_SETUP.epochs),
    )
    .option('--quick', 'a smoke run of the whole pipeline in about a minute: 2 epochs per run and a small study')
    .action(async (flags: { out: string; epochs: string; quick?: boolean }, command: Command) => {
      const epochs = flags.quick ? 2 : Number(flags.epochs);
      if (!Number.isInteger(epochs) || epochs < 2 || epochs > 1000)
        throw new WeightscapeError('bad-argument', `--epochs: expected an integer in 2–1000 (got '${flags.epochs}')`);
      claimOutputs('demo', [{ flag: '--out', path: flags.out, kind: 'directory' }]);
      const replaced = prepareDemoDirectory(flags.out);
      const context = await createContext(command);
      if (replaced) context.stderr(`replacing the earlier demo in ${resolve(flags.out)}`);
      const started = performance.now();
      let lastStage = '';
      const tty = process.stderr.isTTY;
      const summary = runDemo({
        outDir: flags.out,
        backend: context.backend,
        seed: context.options.seed,
        epochs,
        quick: flags.quick ?? false,
        onProgress: (stage, fraction) => {
          const width = 30;
          const filled = Math.round(Math.min(1, fraction) * width);
          if (tty) {
            if (stage !== lastStage && lastStage !== '') process.stderr.write('\n');
            process.stderr.write(
              `\r${stage.padEnd(20)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * fraction).toFixed(0).padStart(3)}%`,
            );
          } else if (stage !== lastStage) process.stderr.write(`${stage}…\n`);
          lastStage = stage;
        },
      });
      writeDemoManifest(flags.out, summary.written);
      if (tty) process.stderr.write('\n');
      const minutes = ((performance.now() - started) / 60_000).toFixed(1);
      const studySize = flags.quick ? DEMO_SETUP.quickStudy : DEMO_SETUP.study;
      context.stdout(
        [
          `report: ${resolve(summary.reportDir, 'index.html')} (${minutes} min, ${context.backend.name})`,
          '',
          ...table(summary),
          '',
          ...demoReading(summary),
          '',
          `robust accuracy: ${DEMO_SETUP.evalAttack} on ${Math.min(DEMO_SETUP.subset, studySize.subset)} of the ` +
            `${DEMO_SETUP.subset} training images and ${studySize.subset} test images; gap = train − test, in points`,
        ].join('\n'),
      );
    });
}
