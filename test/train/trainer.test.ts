import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { loadRunState } from '../../src/train/run-state.ts';
import { learningRate, parseSchedule } from '../../src/train/schedule.ts';
import { train, type TrainLog } from '../../src/train/trainer.ts';
import { tinyTrainConfig } from '../helpers/tiny-train.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-train-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// Small but complete: dropout (seeded per batch), AWP switching on after a warm-up epoch, a schedule.
const config = tinyTrainConfig({
  archOptions: { width: 4, hidden: 16, dropout: 0.3 },
  subset: 96,
  awp: true,
  awpWarmup: 1,
  evalSubset: 40,
  schedule: 'piecewise:2',
  seed: 3,
});

function stripTimes(log: TrainLog) {
  return log.epochs.map(({ seconds: _seconds, ...rest }) => rest);
}

test('a run stopped after epoch 1 and resumed equals an uninterrupted run (weights to 1e-6, same log)', async () => {
  const backend = await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const whole = train({ config, outDir: join(dir, 'whole'), resume: false, backend });
  assert.equal(tf.memory().numTensors, before, 'training leaked tensors');
  train({ config, outDir: join(dir, 'parts'), resume: false, backend, stopAfterEpochs: 1 });
  const firstPart = JSON.parse(readFileSync(join(dir, 'parts', 'log.json'), 'utf8')) as TrainLog;
  assert.equal(firstPart.epochs.length, 1);
  const resumed = train({ config, outDir: join(dir, 'parts'), resume: true, backend });
  assert.deepEqual(stripTimes(resumed), stripTimes(whole));
  assert.deepEqual(
    whole.epochs.map((e) => e.awp),
    [false, true, true],
  );
  assert.deepEqual(
    whole.epochs.map((e) => e.lr),
    [0.05, 0.05, 0.05 * 0.1],
  );
  const a = loadRunState(join(dir, 'whole', 'run-state.safetensors'));
  const b = loadRunState(join(dir, 'parts', 'run-state.safetensors'));
  assert.equal(a.epoch, 3);
  for (const group of ['params', 'state'] as const) {
    for (const [name, t] of Object.entries(a.weights[group])) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(t, b.weights[group][name]!))).dataSync()[0]!);
      assert.ok(diff <= 1e-6, `${name}: ${diff}`);
    }
  }
  for (const [name, t] of Object.entries(a.buffers)) {
    assert.equal(
      tf.tidy(() => tf.max(tf.abs(tf.sub(t, b.buffers[name]!))).dataSync()[0]!),
      0,
      `momentum of ${name}`,
    );
  }
  tf.dispose(
    [a, b].flatMap((s) => [
      ...Object.values(s.weights.params),
      ...Object.values(s.weights.state),
      ...Object.values(s.buffers),
    ]),
  );
});

test('a kill between writing the log and the run state resumes cleanly: the extra log entry is redone', async () => {
  const backend = await selectBackend('wasm');
  const out = join(dir, 'killed');
  train({ config, outDir: out, resume: false, backend, stopAfterEpochs: 1 });
  // Fake a log that is one epoch ahead of the run state, as a kill right after the log write leaves it.
  const log = JSON.parse(readFileSync(join(out, 'log.json'), 'utf8')) as TrainLog;
  log.epochs.push({ ...log.epochs[0]!, epoch: 2, trainLoss: 99 });
  writeFileSync(join(out, 'log.json'), JSON.stringify(log));
  const resumed = train({ config, outDir: out, resume: true, backend });
  assert.deepEqual(
    resumed.epochs.map((e) => e.epoch),
    [1, 2, 3],
  );
  assert.notEqual(resumed.epochs[1]!.trainLoss, 99);
});

test('the train command: refuses to overwrite a run, refuses to resume with other options, logs per epoch', () => {
  const bin = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000 });
  const out = join(dir, 'cli');
  const args = [
    'train',
    '--arch',
    'mlp',
    '--hidden',
    '16',
    '--data',
    'mini',
    '--subset',
    '64',
    '--epochs',
    '1',
    '--batch-size',
    '32',
    '--eval-subset',
    '20',
    '--attack',
    'fgsm:eps=0.1',
    '--out',
    out,
  ];
  const first = run(...args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /epoch 1: loss \d+\.\d{4}, lr 0\.1, clean/);
  const log = JSON.parse(readFileSync(join(out, 'log.json'), 'utf8')) as TrainLog;
  assert.equal(log.schema, 'weightscape.train-log/1');
  assert.equal(log.config.method, 'pgd-at');
  assert.ok(log.epochs[0]!.gap !== null);
  const again = run(...args);
  assert.equal(again.status, 2);
  assert.match(again.stderr.trim(), /already holds a run \(log\.json\); pass --resume/);
  const other = run(...args.map((a) => (a === '16' ? '8' : a)), '--resume');
  assert.equal(other.status, 2);
  assert.match(other.stderr, /--resume: the options differ from the run/);
  const unknown = run(
    'train',
    '--arch',
    'mlp',
    '--data',
    'mini',
    '--epochs',
    '1',
    '--out',
    join(dir, 'x'),
    '--method',
    'sam',
  );
  assert.equal(unknown.status, 2);
});

test('learning-rate schedules: piecewise like MultiStepLR, cosine from lr to 0', () => {
  const piecewise = parseSchedule('piecewise:15,22', 0.1);
  assert.deepEqual(
    [0, 14, 15, 21, 22, 29].map((e) => learningRate(piecewise, 0.1, e, 0.5, 30)),
    [0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1],
  );
  const cosine = parseSchedule('cosine', 0.1);
  assert.equal(learningRate(cosine, 0.2, 0, 0, 10), 0.2);
  assert.ok(Math.abs(learningRate(cosine, 0.2, 5, 0, 10) - 0.1) < 1e-12);
  assert.throws(() => parseSchedule('step:3', 0.1), /expected constant, cosine or piecewise/);
});
