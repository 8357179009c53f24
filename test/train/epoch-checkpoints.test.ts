import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { loadDataset, parseDataSpec, selectExamples } from '../../src/data/dataset.ts';
import { stratifiedIndices } from '../../src/data/subset.ts';
import { evaluateSplit } from '../../src/eval/split-metrics.ts';
import { configDifferences, parseSaveEpochs, type TrainConfig } from '../../src/train/train-config.ts';
import { epochCheckpointPath, train, type TrainLog } from '../../src/train/trainer.ts';
import { tinyTrainConfig } from '../helpers/tiny-train.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-epochs-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const config = tinyTrainConfig({ saveEvery: 2, saveEpochs: [3] });

const bytes = (path: string) => readFileSync(path);
const sha256 = (path: string) => createHash('sha256').update(bytes(path)).digest('hex');
const withoutTimes = (log: TrainLog) => log.epochs.map(({ seconds: _seconds, ...rest }) => rest);

test('--save-every 2 --save-epochs 3 keep epochs 2 and 3, listed in log.json with their SHA-256 and their metrics', async () => {
  const backend = await selectBackend('wasm');
  const out = join(dir, 'whole');
  const log = train({ config, outDir: out, resume: false, backend });
  assert.deepEqual(readdirSync(join(out, 'epochs')), ['epoch-002.safetensors', 'epoch-003.safetensors']);
  assert.deepEqual(
    log.epochs.map((e) => e.checkpoint?.path),
    [undefined, 'epochs/epoch-002.safetensors', 'epochs/epoch-003.safetensors'],
  );
  const written = JSON.parse(readFileSync(join(out, 'log.json'), 'utf8')) as TrainLog;
  assert.deepEqual(withoutTimes(written), withoutTimes(log));
  for (const record of log.epochs.slice(1)) {
    assert.equal(record.checkpoint!.sha256, sha256(join(out, record.checkpoint!.path)));
    const checkpoint = loadCheckpoint(join(out, record.checkpoint!.path));
    assert.equal(checkpoint.metadata.epoch, String(record.epoch));
    assert.deepEqual(JSON.parse(checkpoint.metadata.training!), config);
  }
  // The final epoch is model.safetensors too, byte for byte.
  assert.deepEqual(bytes(join(out, 'epochs', 'epoch-003.safetensors')), bytes(join(out, 'model.safetensors')));
  // The record's test metrics are those of the file beside it: evaluate epoch 2's file as the trainer does.
  const checkpoint = loadCheckpoint(join(out, 'epochs', 'epoch-002.safetensors'));
  const model = resolveModelConfig(checkpoint, {});
  const { weights } = checkpointToWeights(checkpoint, model);
  const test = loadDataset(parseDataSpec('mini'), { split: 'test' });
  const metrics = evaluateSplit({
    weights,
    config: model,
    data: selectExamples(test, stratifiedIndices(test.labels, config.evalSubset, config.seed + 1), 'eval'),
    attack: parseAttack(config.evalAttack),
    batchSize: 256,
    seed: config.seed + 17,
  });
  disposeWeights(weights);
  assert.deepEqual(metrics, log.epochs[1]!.test);
});

test('a run stopped after epoch 1, killed after writing epoch 2’s file, and resumed writes the same epoch files', async () => {
  const backend = await selectBackend('wasm');
  const out = join(dir, 'parts');
  train({ config, outDir: out, resume: false, backend, stopAfterEpochs: 1 });
  assert.equal(existsSync(join(out, 'epochs')), false);
  // A kill after the epoch file and before the log: the next run redoes epoch 2 and rewrites the file.
  mkdirSync(join(out, 'epochs'));
  writeFileSync(join(out, epochCheckpointPath(2, 3)), 'partial');
  const resumed = train({ config, outDir: out, resume: true, backend });
  for (const name of ['epoch-002.safetensors', 'epoch-003.safetensors']) {
    assert.deepEqual(bytes(join(out, 'epochs', name)), bytes(join(dir, 'whole', 'epochs', name)), name);
  }
  const whole = JSON.parse(readFileSync(join(dir, 'whole', 'log.json'), 'utf8')) as TrainLog;
  assert.deepEqual(withoutTimes(resumed), withoutTimes(whole));
  // Other epochs to keep is another run: refused, naming the setting.
  assert.throws(
    () => train({ config: { ...config, saveEvery: 1 }, outDir: out, resume: true, backend }),
    /--resume: the options differ from the run in .* \(saveEvery; its configuration is in log\.json\)/,
  );
});

test('a run state written before saveEvery, saveEpochs and init existed still resumes (their defaults)', () => {
  const plain = tinyTrainConfig();
  const { saveEvery: _e, saveEpochs: _s, init: _i, ...old } = plain;
  assert.deepEqual(configDifferences(JSON.stringify(old), plain), []);
  assert.deepEqual(configDifferences(JSON.stringify(old), { ...plain, saveEpochs: [2] } as TrainConfig), [
    'saveEpochs',
  ]);
  assert.deepEqual(configDifferences(JSON.stringify({ ...old, lr: 1 }), plain), ['lr']);
});

test('epoch settings are checked with one-line errors naming the flag', () => {
  const cases: [Partial<TrainConfig>, RegExp][] = [
    [{ epochs: 0 }, /^--epochs: expected a positive integer \(got 0\)$/],
    [{ epochs: 0, init: { path: 'a.pt', sha256: 'x' } }, /^--epochs 0 with --init: nothing would be trained/],
    [{ saveEvery: 0 }, /^--save-every: expected a positive integer \(got 0\)$/],
    [{ saveEvery: 4 }, /^--save-every 4: more than --epochs 3$/],
    [{ saveEpochs: [1, 4] }, /^--save-epochs: epoch 4 is past --epochs 3$/],
    [{ saveEpochs: [1.5] }, /^--save-epochs: expected positive integers \(got 1\.5\)$/],
  ];
  for (const [settings, message] of cases) {
    assert.throws(
      () => tinyTrainConfig(settings),
      (error: Error) => message.test(error.message),
    );
  }
  assert.throws(() => parseSaveEpochs('10,x'), /^WeightscapeError: --save-epochs: expected comma-separated/);
  assert.deepEqual(tinyTrainConfig({ saveEpochs: [3, 1, 3] }).saveEpochs, [1, 3]);
  assert.equal(epochCheckpointPath(7, 3), 'epochs/epoch-007.safetensors');
  assert.equal(epochCheckpointPath(7, 1200), 'epochs/epoch-0007.safetensors');
});
