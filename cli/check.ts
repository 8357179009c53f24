/** `weightscape check`: gate a pipeline on results against a baseline (exit 0 hold, 1 regress, 2 bad input). */
import { Command } from 'commander';
import { readBaseline } from '../src/check/baseline.ts';
import { checkResult, junitXml, runChecks, updatedBaseline, verdictTable } from '../src/check/run-checks.ts';
import { writeFileAtomic } from '../src/results/atomic-write.ts';
import type { NamedResult } from '../src/results/metric-path.ts';
import { readAnyResult } from '../src/results/read-result.ts';
import { globalOptions } from './context.ts';
import { EXIT_FAILURE } from './handle-error.ts';
import { claimOutputs } from './output.ts';

/** A result file, validated when its schema tag names a weightscape result (other JSON is checked as is). */
function readResult(path: string): NamedResult {
  return { path, json: readAnyResult(path).json };
}

export function checkCommand(): Command {
  return new Command('check')
    .description('compare result metrics with a baseline: exit 0 when all hold, 1 when any regresses, 2 for bad input')
    .requiredOption('--baseline <file>', 'baseline JSON (schema weightscape.baseline/1)')
    .argument('<results...>', 'result files (eval, flatness, landscape, train log, …)')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--json', 'print the verdicts as JSON (schema weightscape.check/1) instead of the table')
    .option('--update-baseline', "replace the baseline's values with the results' (directions and tolerances kept)")
    .action(
      (
        paths: string[],
        flags: { baseline: string; junit?: string; json?: boolean; updateBaseline?: boolean },
        command: Command,
      ) => {
        globalOptions(command);
        claimOutputs('check', [
          { flag: '--junit', path: flags.junit, kind: 'file' },
          { flag: '--baseline', path: flags.updateBaseline ? flags.baseline : undefined, kind: 'file' },
        ]);
        const baseline = readBaseline(flags.baseline);
        const verdicts = runChecks(baseline, paths.map(readResult));
        process.stdout.write(
          flags.json ? `${JSON.stringify(checkResult(verdicts), null, 2)}\n` : `${verdictTable(verdicts)}\n`,
        );
        if (flags.junit !== undefined) writeFileAtomic(flags.junit, junitXml(verdicts));
        if (flags.updateBaseline) {
          writeFileAtomic(flags.baseline, `${JSON.stringify(updatedBaseline(baseline, verdicts), null, 2)}\n`);
          // With --json, stdout holds only the JSON.
          (flags.json ? process.stderr : process.stdout).write(`updated ${flags.baseline}\n`);
          return;
        }
        if (verdicts.some((v) => !v.passed)) process.exitCode = EXIT_FAILURE;
      },
    );
}
