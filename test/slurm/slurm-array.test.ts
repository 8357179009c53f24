/**
 * The Slurm example on a real Slurm: examples/slurm/submit-surface.sh submits a small 2D adversarial
 * sweep as a job array of 4 tasks and the merge-and-report job after it (afterok). One task is
 * requeued (killed) mid-way and must resume its points; the merged surface must equal the same
 * sweep run in one process, value for value.
 *
 * The cluster: the one test/slurm/slurm-cluster.sh started (.ci/run starts it), or, when none
 * answers and this process is root with Slurm installed, one started here and stopped at the end.
 * Otherwise the test is skipped with the reason, and fails under WEIGHTSCAPE_REQUIRE_SLURM=1 (CI).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLUSTER_SCRIPT = join(ROOT, 'test/slurm/slurm-cluster.sh');
const SLURM_DIR = process.env.WEIGHTSCAPE_SLURM_DIR ?? '/tmp/weightscape-slurm';
const env = { ...process.env, SLURM_CONF: join(SLURM_DIR, 'slurm.conf') };
const REQUIRED = process.env.WEIGHTSCAPE_REQUIRE_SLURM === '1';

const run = (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(command, args, { encoding: 'utf8', env: options.env ?? env, cwd: options.cwd });

function nodeState(): string | undefined {
  const sinfo = run('sinfo', ['-h', '-o', '%t']);
  return sinfo.status === 0 ? sinfo.stdout.trim() : undefined;
}

/** Why there is no cluster to test on (undefined: there is one), starting one here when possible. */
function findCluster(): { reason?: string; startedHere: boolean } {
  if (run('sh', ['-c', 'command -v sbatch']).status !== 0)
    return {
      reason: 'Slurm is not installed (test/slurm/slurm-cluster.sh start installs and starts it, as root)',
      startedHere: false,
    };
  if (existsSync(env.SLURM_CONF) && /idle|mix|alloc/.test(nodeState() ?? '')) return { startedHere: false };
  if (process.getuid?.() !== 0)
    return {
      reason: 'no Slurm answers and starting one needs root (test/slurm/slurm-cluster.sh start)',
      startedHere: false,
    };
  const start = run(CLUSTER_SCRIPT, ['start']);
  if (start.status !== 0)
    return { reason: `test/slurm/slurm-cluster.sh start failed: ${start.stderr.trim()}`, startedHere: false };
  return { startedHere: true };
}

const cluster = findCluster();
after(() => {
  if (cluster.startedHere) run(CLUSTER_SCRIPT, ['stop']);
});

/** JobState of every job (array tasks one by one) of a job ID. */
function jobStates(id: string): string[] {
  const show = run('scontrol', ['show', 'job', '-o', id]);
  return [...show.stdout.matchAll(/JobState=(\S+)/g)].map((m) => m[1]!);
}

async function until<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(100);
  }
}

const computed = (path: string): number | undefined => {
  try {
    const result = JSON.parse(readFileSync(path, 'utf8')) as { values: { cleanLoss: (number | null)[][] } };
    return result.values.cleanLoss.flat().filter((v) => v !== null).length;
  } catch {
    return undefined;
  }
};

// 5 × 4 points, 5 per task; PGD-10 on 200 images keeps a point near half a second (PGD-3 on 48 took 0.05 s,
// and a task finished before the test saw its first point), so a task polled every 0.1 s is caught mid-way.
const SWEEP = {
  CHECKPOINT: join(ROOT, 'fixtures/models/convnet-mnist.safetensors'),
  DATA: 'mini',
  SUBSET: '200',
  RANGE: '-0.5:0.5:5',
  RANGE2: '-0.4:0.4:4',
  ATTACK: 'pgd:linf:eps=0.1:steps=10:step=0.025',
};
const WEIGHTSCAPE = `${process.execPath} ${join(ROOT, 'bin/weightscape.js')}`;

test(
  'the example job array on a real Slurm: a requeued task resumes its points, the merged surface equals one process',
  { skip: !REQUIRED && cluster.reason, timeout: 600_000 },
  async (t) => {
    if (cluster.reason !== undefined) assert.fail(`WEIGHTSCAPE_REQUIRE_SLURM=1 but ${cluster.reason}`);
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'weightscape-slurm-'));
    const submitted: string[] = [];
    // Nothing of this test is left in the queue, whatever happened.
    t.after(() => {
      if (submitted.length > 0) run('scancel', submitted);
      rmSync(dir, { recursive: true, force: true });
    });
    const out = join(dir, 'surface');
    mkdirSync(out);
    const jobEnv = { ...env, ...SWEEP, OUT_DIR: out, WEIGHTSCAPE, SBATCH_ARGS: '--cpus-per-task=1 --mem=1G' };
    const submit = run(join(ROOT, 'examples/slurm/submit-surface.sh'), ['4'], { cwd: dir, env: jobEnv });
    assert.equal(submit.status, 0, submit.stderr);
    const [arrayId, mergeId] = submit.stdout.trim().split(/\s+/) as [string, string];
    submitted.push(arrayId, mergeId);
    t.diagnostic(`submitted: array job ${arrayId} (4 tasks), merge-and-report job ${mergeId} (afterok:${arrayId})`);

    // The one-process sweep, alongside.
    const whole = join(dir, 'whole.json');
    const single = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/weightscape.js'),
        '--threads',
        '1',
        'sample',
        ...['--checkpoint', SWEEP.CHECKPOINT, '--data', 'mini', '--split', 'test', '--subset', SWEEP.SUBSET],
        ...['--loss', 'adversarial', '--attack', SWEEP.ATTACK, '--direction', 'filter', '--direction2', 'filter'],
        ...['--range', SWEEP.RANGE, '--range2', SWEEP.RANGE2, '--out', whole],
      ],
      { stdio: 'ignore' },
    );
    const singleDone = new Promise<number | null>((resolve) => single.on('exit', resolve));

    // Kill task 2 mid-way (a requeue, as preemption does) and let it start again at once.
    const shard2 = join(out, 'shards', 'shard-2.json');
    const before = await until('task 2 to compute a point', 300, () => {
      const n = computed(shard2);
      return n !== undefined && n >= 1 ? n : undefined;
    });
    const requeue = run('scontrol', ['requeue', `${arrayId}_2`]);
    assert.equal(requeue.status, 0, requeue.stderr);
    // A requeued job waits (BeginTime) before it may start again. Release it once it is pending, its
    // killed run has exited and 2 s have passed: slurmd refuses a launch credential from the second of
    // the kill ("Job … already killed, do not launch batch job") and the task fails.
    const requeuedAt = Date.now();
    await until('task 2 to be pending again, its killed run gone', 60, () => {
      if (!/^PENDING/.test(jobStates(`${arrayId}_2`)[0] ?? '') || Date.now() - requeuedAt < 2000) return undefined;
      if (run('pgrep', ['-f', shard2]).status === 0) return undefined;
      run('scontrol', ['update', `jobid=${arrayId}_2`, 'StartTime=now']);
      return true;
    });
    const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
    t.diagnostic(`requeued task ${arrayId}_2 after ${before} of its 5 points (${seconds()} s)`);

    // Ends when the merge job does, or as soon as it never can (a task failed: its dependency is not met).
    const mergeState = await until('the merge job to end', 480, () => {
      const show = run('scontrol', ['show', 'job', '-o', mergeId]).stdout;
      const state = /JobState=(\S+)/.exec(show)?.[1];
      if (/Reason=DependencyNeverSatisfied/.test(show)) return 'NEVER (DependencyNeverSatisfied)';
      return state !== undefined && !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(state) ? state : undefined;
    });
    const taskStates = jobStates(arrayId);
    t.diagnostic(`array ${arrayId}: ${taskStates.join(' ')}; merge ${mergeId}: ${mergeState} (${seconds()} s)`);
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
    const log = (name: string) => readFileSync(join(dir, name), 'utf8');
    assert.equal(mergeState, 'COMPLETED', logs.map((f) => `${f}:\n${log(f)}`).join('\n'));
    assert.deepEqual(taskStates, ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);

    // Task 2 ran twice; the second run found the points of the first.
    const task2Log = log(`weightscape-surface-${arrayId}_2.log`);
    const resumed = /resuming \S+shard-2\.json: (\d) of 5 points already computed/.exec(task2Log);
    assert.ok(resumed, task2Log);
    assert.ok(Number(resumed[1]) >= before && Number(resumed[1]) < 5, `resumed with ${resumed[1]} of 5: ${task2Log}`);
    t.diagnostic(`task 2 resumed with ${resumed[1]} of 5 points already computed`);

    assert.equal(await singleDone, 0);
    const merged = JSON.parse(readFileSync(join(out, 'surface.json'), 'utf8')) as Record<string, unknown>;
    const one = JSON.parse(readFileSync(whole, 'utf8')) as Record<string, unknown>;
    assert.equal(merged.complete, true);
    assert.deepEqual(merged.values, one.values);
    assert.deepEqual(merged.grid, one.grid);
    assert.ok(existsSync(join(out, 'report', 'index.html')), 'the merge job rendered the report');
    const points = (one.values as { cleanLoss: number[][] }).cleanLoss.flat().length;
    t.diagnostic(
      `merged surface equals the one-process sweep, value for value (${points} points, clean and robust loss and ` +
        `accuracy); ${seconds()} s`,
    );
  },
);
