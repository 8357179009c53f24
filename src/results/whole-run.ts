/** Readers that report a run's figures (report, check, correlate, study) refuse a shard of a split run. */
import { WeightscapeError } from '../errors.ts';

/** Refuses (bad-file, naming the file) a result that records a shard: its figures are not the run's. */
export function assertWholeRun(path: string, json: unknown): void {
  const shard = (json as { shard?: { index?: unknown; count?: unknown } | null } | null)?.shard;
  if (shard === undefined || shard === null) return;
  throw new WeightscapeError(
    'bad-file',
    `${path}: shard ${String(shard.index)}/${String(shard.count)} of a split run, whose figures are not the run's; ` +
      'join the shards with weightscape merge first',
  );
}
