/**
 * Which part of a split job this process computes: `--shard i/n` given by hand, or `--shard auto`
 * read from the scheduler that started it (a Slurm job array task, a Kubernetes indexed Job pod).
 * Shard i of n takes the items k ≡ i (mod n): points of a sweep, checkpoints of a study, random
 * directions of flatness, batches of an evaluation.
 */
import { WeightscapeError } from '../errors.ts';

export interface Shard {
  index: number;
  count: number;
}

/** Where an automatic shard came from, for the log line a job prints. */
export interface ResolvedShard extends Shard {
  source: string;
}

/** The environment variable that gives a Kubernetes indexed Job's completions (a Job does not expose it). */
export const SHARD_COUNT_ENV = 'WEIGHTSCAPE_SHARD_COUNT';

const NO_SCHEDULER =
  '--shard auto: no scheduler shard in the environment (SLURM_ARRAY_TASK_ID of a Slurm job array, or ' +
  'JOB_COMPLETION_INDEX of a Kubernetes indexed Job); give --shard i/n';

/** A whole number from an environment variable or flag, refused (exit 2, naming it) otherwise. */
function count(name: string, text: string, least: number): number {
  const value = /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < least)
    throw new WeightscapeError(
      'bad-argument',
      `--shard auto: ${name}=${JSON.stringify(text)} is not a whole number${least > 0 ? ` ≥ ${least}` : ''}`,
    );
  return value;
}

/** The count given by --shard-count, else by WEIGHTSCAPE_SHARD_COUNT, else undefined. */
function givenCount(env: NodeJS.ProcessEnv, flag: string | undefined): { value: number; name: string } | undefined {
  if (flag !== undefined) return { value: count('--shard-count', flag, 1), name: '--shard-count' };
  const text = env[SHARD_COUNT_ENV];
  return text === undefined || text === ''
    ? undefined
    : { value: count(SHARD_COUNT_ENV, text, 1), name: SHARD_COUNT_ENV };
}

/**
 * A Slurm array task. With the array's own count: index (ID − MIN) / STEP of SLURM_ARRAY_TASK_COUNT,
 * so `--array=1-4` works. With a count given (--shard-count, WEIGHTSCAPE_SHARD_COUNT): the task ID is
 * the index, so a task resubmitted alone (`sbatch --array=2`, where MIN is 2 and COUNT 1) keeps its
 * shard. Arrays with gaps (`--array=1,3,7`) do not map onto 0…n−1 and are refused.
 */
function slurmShard(env: NodeJS.ProcessEnv, given: ReturnType<typeof givenCount>): ResolvedShard {
  const id = count('SLURM_ARRAY_TASK_ID', env.SLURM_ARRAY_TASK_ID!, 0);
  if (given !== undefined) {
    if (id >= given.value)
      throw new WeightscapeError(
        'bad-argument',
        `--shard auto: SLURM_ARRAY_TASK_ID=${id} is not below ${given.name}=${given.value} (with a count given, the task IDs are the shards 0…n−1)`,
      );
    return { index: id, count: given.value, source: `Slurm array task ${id} of ${given.value} (${given.name})` };
  }
  const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : count('SLURM_ARRAY_TASK_MIN', env.SLURM_ARRAY_TASK_MIN, 0);
  const step =
    env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : count('SLURM_ARRAY_TASK_STEP', env.SLURM_ARRAY_TASK_STEP, 1);
  if (env.SLURM_ARRAY_TASK_COUNT === undefined)
    throw new WeightscapeError(
      'bad-argument',
      '--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard-count n',
    );
  const total = count('SLURM_ARRAY_TASK_COUNT', env.SLURM_ARRAY_TASK_COUNT, 1);
  const offset = id - min;
  const index = offset / step;
  if (offset < 0 || !Number.isInteger(index) || index >= total)
    throw new WeightscapeError(
      'bad-argument',
      `--shard auto: SLURM_ARRAY_TASK_ID=${id} (MIN ${min}, STEP ${step}) is not one of ${total} consecutive tasks; ` +
        'submit the array as --array=0-<n−1> (a throttle %k is fine)',
    );
  return { index, count: total, source: `Slurm array task ${id} (min ${min}, ${total} tasks)` };
}

/** A Kubernetes indexed Job pod: JOB_COMPLETION_INDEX, with the completions count given by flag or environment. */
function kubernetesShard(env: NodeJS.ProcessEnv, given: ReturnType<typeof givenCount>): ResolvedShard {
  const index = count('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX!, 0);
  if (given === undefined)
    throw new WeightscapeError(
      'bad-argument',
      `--shard auto: JOB_COMPLETION_INDEX=${index} is set but not the Job's completions; pass --shard-count n or set ${SHARD_COUNT_ENV}`,
    );
  if (index >= given.value)
    throw new WeightscapeError(
      'bad-argument',
      `--shard auto: JOB_COMPLETION_INDEX=${index} is not below ${given.name}=${given.value}`,
    );
  return { index, count: given.value, source: `Kubernetes completion index ${index} of ${given.value}` };
}

/** The shard of `--shard i/n`, or of `--shard auto` from the environment; refused (exit 2) when neither holds. */
export function parseShard(
  text: string,
  options: { env?: NodeJS.ProcessEnv; shardCount?: string } = {},
): ResolvedShard {
  const env = options.env ?? process.env;
  if (text === 'auto') {
    const given = givenCount(env, options.shardCount);
    if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_ID !== '') return slurmShard(env, given);
    if (env.JOB_COMPLETION_INDEX !== undefined && env.JOB_COMPLETION_INDEX !== '') return kubernetesShard(env, given);
    throw new WeightscapeError('bad-argument', NO_SCHEDULER);
  }
  if (options.shardCount !== undefined)
    throw new WeightscapeError('bad-argument', `--shard-count goes with --shard auto, not --shard ${text}`);
  const match = /^(\d{1,9})\/(\d{1,9})$/.exec(text);
  const index = Number(match?.[1]);
  const total = Number(match?.[2]);
  if (!match || total < 1 || index >= total)
    throw new WeightscapeError('bad-argument', `--shard ${text}: expected i/n with 0 ≤ i < n, or auto`);
  return { index, count: total, source: `--shard ${text}` };
}

/** The items k of 0…total−1 with k ≡ index (mod count): a shard's part of the work. */
export function shardPoints(total: number, shard: Shard | undefined): number[] {
  return Array.from({ length: total }, (_, k) => k).filter(
    (k) => shard === undefined || k % shard.count === shard.index,
  );
}

/** The shard as a result records it (index and count only). */
export const recordedShard = (shard: Shard | undefined): Shard | null =>
  shard === undefined ? null : { index: shard.index, count: shard.count };
