/** `weightscape demo`: the whole pipeline on the bundled data, ending with a report. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { runDemo } from '../src/demo/run-demo.ts';
import { WeightscapeError } from '../src/errors.ts';
import { createContext } from './context.ts';
import { claimOutputs } from './output.ts';

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'train PGD-AT and PGD-AT + AWP convnets on the bundled mini Fashion-MNIST, measure gaps and landscapes, write the report',
    )
    .option(
      '--out <dir>',
      'report directory (the committed example in reports/demo was made with --out reports/demo --force)',
      'demo-report',
    )
    .option('--epochs <n>', 'training epochs per model', '8')
    .option('--force', 'replace an existing demo report in --out')
    .action(async (flags: { out: string; epochs: string; force?: boolean }, command: Command) => {
      const context = await createContext(command);
      const epochs = Number(flags.epochs);
      if (!Number.isInteger(epochs) || epochs < 1)
        throw new WeightscapeError('bad-argument', `--epochs: expected a positive integer (got '${flags.epochs}')`);
      if (existsSync(join(flags.out, 'pgd-at', 'log.json')) && !flags.force) {
        throw new WeightscapeError(
          'bad-argument',
          `--out ${flags.out}: already holds a demo report; pass --force to replace it, or choose another directory`,
        );
      }
      claimOutputs('demo', [{ flag: '--out', path: flags.out, kind: 'directory' }]);
      if (flags.force) {
        const { rmSync } = await import('node:fs');
        for (const run of ['pgd-at', 'pgd-at-awp']) rmSync(join(flags.out, run), { recursive: true, force: true });
      }
      const started = performance.now();
      let lastStage = '';
      const tty = process.stderr.isTTY;
      const summary = runDemo({
        outDir: flags.out,
        backend: context.backend,
        seed: context.options.seed,
        epochs,
        onProgress: (stage, fraction) => {
          const width = 30;
          const filled = Math.round(Math.min(1, fraction) * width);
          if (tty)
            process.stderr.write(
              `\r${stage.padEnd(34)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * fraction).toFixed(0).padStart(3)}%`,
            );
          else if (stage !== lastStage) process.stderr.write(`${stage}…\n`);
          if (tty && stage !== lastStage && lastStage !== '') process.stderr.write('\n');
          lastStage = stage;
        },
      });
      if (tty) process.stderr.write('\n');
      const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
      context.stdout(
        [
          `report: ${resolve(summary.reportDir, 'index.html')} (${((performance.now() - started) / 60_000).toFixed(1)} min, ${context.backend.name})`,
          '',
          [
            'model'.padEnd(12),
            'train robust'.padStart(14),
            'test robust'.padStart(13),
            'gap (pts)'.padStart(11),
            'test clean'.padStart(12),
            'adv. loss Δ, random dir'.padStart(26),
            'adv. loss Δ, adversarial dir'.padStart(30),
          ].join(''),
          ...summary.rows.map((r) =>
            [
              r.model.padEnd(12),
              pct(r.trainRobust).padStart(14),
              pct(r.testRobust).padStart(13),
              (100 * r.gap).toFixed(1).padStart(11),
              pct(r.testClean).padStart(12),
              r.adversarialIncrease.toFixed(3).padStart(26),
              r.adversarialDirectionIncrease.toFixed(3).padStart(30),
            ].join(''),
          ),
          '',
          'gap: robust accuracy, train minus test (PGD-10, ε = 0.1); ' +
            'Δ: largest rise of the adversarial loss over the sweep (random: |α| ≤ 1; adversarial: |α| ≤ 0.2)',
        ].join('\n'),
      );
    });
}
