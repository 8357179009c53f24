/** `weightscape merge`: join the shards of one sweep, flatness measurement or evaluation. */
import { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkShardSet, listShardFiles, type ShardFile } from '../src/cluster/shard-files.ts';
import { WeightscapeError } from '../src/errors.ts';
import { mergeEvaluations } from '../src/eval/merge-evaluations.ts';
import { mergeFlatness } from '../src/landscape/merge-flatness.ts';
import { mergeLandscapes } from '../src/landscape/merge-landscapes.ts';
import type { LandscapeResult } from '../src/landscape/sample-landscape.ts';
import { shardProgress } from '../src/landscape/shard-progress.ts';
import { readAnyResult, type ResultKind } from '../src/results/read-result.ts';
import { globalOptions } from './context.ts';
import { claimOutputs, writeOutput } from './output.ts';
import { positiveInteger, positiveNumber } from './parse-number.ts';

interface MergeFlags {
  out: string;
  wait?: string;
  shards?: string;
}

/** How often a waiting merge looks again. */
const POLL_MS = 2000;

/** The points of its own shard a sweep has not computed yet. */
function pendingPoints(result: LandscapeResult): number {
  const { done, total } = shardProgress(result);
  return total - done;
}

/** Each kind merge joins: how to read a shard's progress and how to join a complete set. */
const MERGEABLE: Partial<
  Record<ResultKind, { items: string; pending: (r: never) => number; merge: (rs: never[], paths: string[]) => unknown }>
> = {
  landscape: { items: 'points', pending: pendingPoints, merge: mergeLandscapes },
  // An evaluation writes its file once, when done.
  eval: { items: 'batches', pending: () => 0, merge: mergeEvaluations },
  flatness: { items: 'directions', pending: () => 0, merge: mergeFlatness },
};

/** Reads what the inputs name now; a file that vanished between listing and reading counts as absent. */
function readShards(
  inputs: string[],
  out: string,
): { files: ShardFile<unknown>[]; kinds: Set<ResultKind>; absent: string[] } {
  const files: ShardFile<unknown>[] = [];
  const absent: string[] = [];
  const kinds = new Set<ResultKind>();
  const listed = listShardFiles(inputs, out);
  absent.push(...listed.unmatched.map((glob) => `${glob} matches no file`));
  for (const path of listed.files) {
    let read: ReturnType<typeof readAnyResult>;
    try {
      read = readAnyResult(path);
    } catch (error) {
      if (error instanceof WeightscapeError && /ENOENT/.test(error.message)) {
        absent.push(`${path} does not exist`);
        continue;
      }
      throw error;
    }
    const kind = read.kind;
    const handler = kind === undefined ? undefined : MERGEABLE[kind];
    if (kind === undefined || handler === undefined)
      throw new WeightscapeError(
        'bad-file',
        `${path}: ${kind === undefined ? 'not a weightscape result' : `a ${kind} result`}; merge joins the shards of sample, flatness and eval ` +
          '(a study assembles its shards with study --merge)',
      );
    kinds.add(kind);
    const result = read.json as { shard?: { index: number; count: number } | null };
    files.push({
      path,
      result,
      shard: result.shard ?? null,
      pending: handler.pending(result as never),
      items: handler.items,
    });
  }
  if (kinds.size > 1)
    throw new WeightscapeError('bad-file', `merge: the inputs mix ${[...kinds].join(' and ')} results`);
  return { files, kinds, absent };
}

export function mergeCommand(): Command {
  return new Command('merge')
    .description('join the shards of one sweep (sample), flatness measurement or evaluation (eval) run with --shard')
    .argument(
      '<shards...>',
      "shard result files, directories holding them (their *.json), or quoted globs ('out/shard-*.json')",
    )
    .requiredOption('--out <file>', 'merged result')
    .option(
      '--wait <seconds>',
      'wait up to this long for missing or unfinished shards (a merge job started beside the shards)',
    )
    .option('--shards <n>', 'the number of shards to expect (otherwise: the count the shard files record)')
    .action(async (inputs: string[], flags: MergeFlags, command: Command) => {
      globalOptions(command);
      const waitSeconds = flags.wait === undefined ? 0 : positiveNumber('wait', flags.wait);
      const expected = flags.shards === undefined ? undefined : positiveInteger('shards', flags.shards);
      claimOutputs('merge', [{ flag: '--out', path: flags.out, kind: 'file' }]);
      const deadline = performance.now() + waitSeconds * 1000;
      let lastStatus = '';
      for (;;) {
        const { files, kinds, absent } = readShards(inputs, flags.out);
        const problems = checkShardSet(files, expected);
        problems.waiting.push(...absent);
        if (problems.fatal.length > 0) throw new WeightscapeError('bad-file', `merge: ${problems.fatal.join('; ')}`);
        if (problems.waiting.length === 0) {
          const sorted = [...files].sort((a, b) => a.shard!.index - b.shard!.index);
          const paths = sorted.map((f) => f.path);
          const merged = MERGEABLE[[...kinds][0]!]!.merge(sorted.map((f) => f.result) as never[], paths);
          writeOutput(flags.out, `${JSON.stringify(merged, null, 2)}\n`, paths);
          process.stdout.write(`wrote ${flags.out}: ${[...kinds][0]} result joined from ${paths.length} shards\n`);
          return;
        }
        const status = problems.waiting.join('; ');
        const left = deadline - performance.now();
        if (left <= 0)
          throw new WeightscapeError(
            'bad-argument',
            `merge: ${status}${waitSeconds > 0 ? ` (after waiting ${waitSeconds} s)` : ' (--wait <seconds> waits for them)'}`,
          );
        if (status !== lastStatus) process.stderr.write(`merge: waiting: ${status}\n`);
        lastStatus = status;
        await sleep(Math.min(POLL_MS, left));
      }
    });
}
