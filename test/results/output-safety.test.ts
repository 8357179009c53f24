import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { removeStaleTemporaries, writeFileAtomic } from '../../src/results/atomic-write.ts';
import { lockOutput, lockPathOf, releaseOutputLocks } from '../../src/results/output-lock.ts';
import { outputPathProblem } from '../../src/results/output-path.ts';
import { WeightscapeError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-output-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The PID of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { encoding: 'utf8' });
  return child.pid!;
}

test('output paths: a missing directory, a file as directory, a directory as file are named before any work', () => {
  const file = join(dir, 'plain.txt');
  writeFileSync(file, 'x');
  assert.match(
    outputPathProblem({ flag: '--out', path: join(dir, 'missing', 'r.json'), kind: 'file' })!,
    /directory .*missing does not exist/,
  );
  assert.match(
    outputPathProblem({ flag: '--out', path: join(file, 'r.json'), kind: 'file' })!,
    /plain\.txt is not a directory/,
  );
  assert.equal(outputPathProblem({ flag: '--out', path: dir, kind: 'file' }), 'is a directory, expected a file name');
  assert.equal(outputPathProblem({ flag: '--out', path: file, kind: 'directory' }), 'exists and is not a directory');
  assert.match(
    outputPathProblem({ flag: '--out', path: join(file, 'a', 'b'), kind: 'directory' })!,
    /plain\.txt is not a directory/,
  );
  // Creatable: a new file in an existing directory, a new directory several levels deep.
  assert.equal(outputPathProblem({ flag: '--out', path: join(dir, 'new.json'), kind: 'file' }), undefined);
  assert.equal(outputPathProblem({ flag: '--out', path: join(dir, 'a', 'b', 'c'), kind: 'directory' }), undefined);
});

test('a failed atomic write names the target and the reason, never the temporary file', () => {
  const target = join(dir, 'nowhere', 'r.json');
  assert.throws(
    () => writeFileAtomic(target, 'x'),
    (error: unknown) => {
      assert.ok(error instanceof WeightscapeError && error.isUserError);
      assert.equal(error.message, `${target}: cannot write (its directory does not exist)`);
      return true;
    },
  );
});

test("temporaries left by a killed writer are removed by the next write; a live writer's are kept", () => {
  const target = join(dir, 'result.json');
  const stale = `result.json.${deadPid()}.0123456789ab.tmp`;
  const live = `result.json.${process.ppid}.0123456789ab.tmp`;
  const other = `other.json.${deadPid()}.0123456789ab.tmp`;
  for (const name of [stale, live, other]) writeFileSync(join(dir, name), 'partial');
  writeFileAtomic(target, '{}');
  const left = readdirSync(dir);
  assert.ok(!left.includes(stale), 'stale temporary of the same file removed');
  assert.ok(left.includes(live), "a running process's temporary is kept");
  assert.ok(left.includes(other), "another file's temporary is left to that file's writer");
  assert.deepEqual(removeStaleTemporaries(dir), [other]);
  rmSync(join(dir, live));
});

test("an output lock held by a live process refuses a second holder, naming the holder; a dead holder's lock is taken over", () => {
  const out = join(dir, 'locked.json');
  const lockPath = lockPathOf(out);
  writeFileSync(
    lockPath,
    JSON.stringify({
      pid: process.ppid,
      host: hostname(),
      command: 'weightscape sample',
      started: '2026-12-01T00:00:00.000Z',
    }),
  );
  assert.throws(
    () => lockOutput(out, 'weightscape eval'),
    (error: unknown) => {
      assert.ok(error instanceof WeightscapeError && error.isUserError);
      assert.match(
        error.message,
        new RegExp(
          `^--out .*locked\\.json: in use by another weightscape process \\(pid ${process.ppid}, weightscape sample`,
        ),
      );
      return true;
    },
  );
  writeFileSync(
    lockPath,
    JSON.stringify({
      pid: deadPid(),
      host: hostname(),
      command: 'weightscape sample',
      started: '2026-12-01T00:00:00.000Z',
    }),
  );
  lockOutput(out, 'weightscape eval');
  assert.equal((JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number }).pid, process.pid);
  releaseOutputLocks();
  assert.equal(existsSync(lockPath), false, 'released on exit');
});

const BIN = new URL('../../bin/weightscape.js', import.meta.url).pathname;
const CHECKPOINT = new URL('../../fixtures/models/mlp.safetensors', import.meta.url).pathname;

test('CLI: an output in a missing directory exits 2 with one line before loading anything', () => {
  const out = join(dir, 'missing', 'm.safetensors');
  const result = spawnSync(process.execPath, [BIN, 'convert', join(dir, 'no-such-checkpoint.pt'), '--out', out], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  // The missing checkpoint is never opened: the output is checked first.
  assert.equal(result.status, 2, result.stderr);
  assert.equal(
    result.stderr.trim(),
    `weightscape: --out ${out}: its directory ${join(dir, 'missing')} does not exist (create it first)`,
  );
});

test('CLI: two processes given the same --out: the second exits 2 naming the first; once the first is killed its lock is stale', async () => {
  const out = join(dir, 'run');
  const { spawn } = await import('node:child_process');
  const first = spawn(
    process.execPath,
    [
      BIN,
      '--backend',
      'cpu',
      '--no-onnxruntime',
      'train',
      '--arch',
      'mlp',
      '--hidden',
      '8',
      '--data',
      'mini',
      '--method',
      'standard',
      '--subset',
      '100',
      '--eval-subset',
      '20',
      '--epochs',
      '100000',
      '--out',
      out,
    ],
    { stdio: 'ignore' },
  );
  try {
    const lockPath = lockPathOf(out);
    for (let i = 0; i < 1200 && !existsSync(lockPath); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(lockPath), 'the first process took the lock');
    const second = spawnSync(
      process.execPath,
      [BIN, 'train', '--arch', 'mlp', '--data', 'mini', '--epochs', '1', '--out', out],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(second.status, 2, second.stderr);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(
      lines[0]!,
      new RegExp(`--out ${out}: in use by another weightscape process \\(pid ${first.pid}, weightscape train`),
    );
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    // The killed process could not release its lock; the next claim sees a dead PID and takes it.
    assert.equal((JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number }).pid, first.pid);
    lockOutput(out, 'weightscape train');
    assert.equal((JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number }).pid, process.pid);
    releaseOutputLocks();
  } finally {
    first.kill('SIGKILL');
  }
});

test('CLI: a stale lock and temporaries of a killed run do not outlive the next run of the command', () => {
  const out = join(dir, 'converted.safetensors');
  const stale = `${out}.${deadPid()}.0123456789ab.tmp`;
  writeFileSync(stale, 'partial');
  writeFileSync(
    lockPathOf(out),
    JSON.stringify({
      pid: deadPid(),
      host: hostname(),
      command: 'weightscape convert',
      started: '2026-12-01T00:00:00.000Z',
    }),
  );
  const result = spawnSync(process.execPath, [BIN, 'convert', CHECKPOINT, '--out', out], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(existsSync(stale), false);
  assert.equal(existsSync(lockPathOf(out)), false);
  assert.ok(existsSync(out));
});
