/** `--shard i/n|auto` and `--shard-count n`: the options of every command that splits its work. */
import type { Command } from 'commander';
import { parseShard, type ResolvedShard } from '../src/cluster/shard-spec.ts';

export interface ShardFlags {
  shard?: string;
  shardCount?: string;
}

/**
 * Adds the two options; `what` says what a shard computes (points, checkpoints, directions, batches)
 * and `then` how the shards are joined.
 */
export function addShardOptions(command: Command, what: string, then: string): Command {
  return command
    .option(
      '--shard <i/n|auto>',
      `compute only ${what} k ≡ i (mod n), then ${then}; auto reads i and n from a Slurm job array or a Kubernetes indexed Job`,
    )
    .option(
      '--shard-count <n>',
      "with --shard auto: the number of shards (a Kubernetes Job's completions; or WEIGHTSCAPE_SHARD_COUNT)",
    );
}

/** The shard the flags ask for (undefined without --shard); an automatic one is named on stderr for the job log. */
export function shardFromFlags(
  flags: ShardFlags,
  stderr: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ResolvedShard | undefined {
  if (flags.shard === undefined) {
    if (flags.shardCount !== undefined) parseShard('', { shardCount: flags.shardCount });
    return undefined;
  }
  const shard = parseShard(flags.shard, { shardCount: flags.shardCount });
  if (flags.shard === 'auto') stderr(`shard ${shard.index}/${shard.count} (${shard.source})`);
  return shard;
}
