/** `weightscape merge`: join the shards of one sweep. */
import { Command } from 'commander';
import { mergeLandscapes } from '../src/landscape/merge-landscapes.ts';
import { readLandscape } from '../src/landscape/read-result.ts';
import { globalOptions } from './context.ts';
import { claimOutputs, writeOutput } from './output.ts';

export function mergeCommand(): Command {
  return new Command('merge')
    .description('join shards of one sweep (weightscape sample --shard i/n) into one result')
    .argument('<shards...>', 'shard result files')
    .requiredOption('--out <file>', 'merged result')
    .action((paths: string[], flags: { out: string }, command: Command) => {
      globalOptions(command);
      claimOutputs('merge', [{ flag: '--out', path: flags.out, kind: 'file' }]);
      const merged = mergeLandscapes(paths.map(readLandscape), paths);
      writeOutput(flags.out, `${JSON.stringify(merged, null, 2)}\n`, paths);
      process.stdout.write(
        `wrote ${flags.out}: ${merged.complete ? 'complete' : 'still partial'} sweep from ${paths.length} shards\n`,
      );
    });
}
