/**
 * `--model model.onnx` through the CLI: sample and eval on an exported ResNet-style network give
 * PyTorch's numbers, an unsupported operator exits 2 with one line, and what `train --model`
 * writes reloads with the same --model (and from its own metadata alone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const DIR = fileURLToPath(new URL('../../fixtures/onnx/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-onnx-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const RESNET = `${DIR}resnet-ish.onnx`;
const DATA = `npy:${DIR}resnet-ish.images.npy,${DIR}resnet-ish.labels.npy`;

/** Mean cross-entropy and accuracy of PyTorch's logits for the fixture's labels (i mod 10). */
function pytorchLoss(): { loss: number; accuracy: number } {
  const logits = loadCheckpoint(`${DIR}resnet-ish.reference.safetensors`).tensors.get('logits')!;
  const [n, k] = logits.shape as [number, number];
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from(logits.values.subarray(i * k, (i + 1) * k));
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0));
    loss += logSum - row[i % 10]!;
    if (row.indexOf(max) === i % 10) correct++;
  }
  return { loss: loss / n, accuracy: correct / n };
}

test('sample --model resnet-ish.onnx: the curve along the saved direction equals PyTorch’s to 1e-4', () => {
  const out = join(dir, 'sample.json');
  const direction = `file:${DIR}resnet-ish.direction.safetensors`;
  const result = run(
    'sample',
    '--model',
    RESNET,
    '--data',
    DATA,
    '--direction',
    direction,
    '--range',
    '-1:1:5',
    '--out',
    out,
  );
  assert.equal(result.code, 0, result.stderr);
  const sweep = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(sweep.model.arch, 'onnx');
  assert.equal(sweep.model.options.file, RESNET);
  assert.match(sweep.model.options.sha256, /^[0-9a-f]{64}$/);
  const expected = JSON.parse(readFileSync(`${DIR}resnet-ish.curve.json`, 'utf8')).loss as number[];
  (sweep.values.cleanLoss[0] as number[]).forEach((l, i) =>
    assert.ok(Math.abs(l - expected[i]!) < 1e-4, `α index ${i}: ${l} vs PyTorch ${expected[i]}`),
  );
});

test('eval --model resnet-ish.onnx: loss and accuracy of PyTorch’s logits; an unsupported operator exits 2', () => {
  const result = run('eval', '--model', RESNET, '--data', DATA, '--split', 'test', '--json');
  assert.equal(result.code, 0, result.stderr);
  const evaluation = JSON.parse(result.stdout);
  const { loss, accuracy } = pytorchLoss();
  assert.ok(
    Math.abs(evaluation.splits.test.clean.loss - loss) < 1e-5,
    `${evaluation.splits.test.clean.loss} vs ${loss}`,
  );
  assert.equal(evaluation.splits.test.clean.accuracy, accuracy);
  const softplus = `${DIR}softplus.onnx`;
  const refused = run('eval', '--model', softplus, '--data', DATA, '--split', 'test');
  assert.equal(refused.code, 2, refused.stderr);
  const lines = refused.stderr.trim().split('\n');
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(lines[0]!, /softplus\.onnx: unsupported operator Softplus \(node '\/Softplus'\)/);
});

test('train --model mini-cnn.onnx writes checkpoints that reload with --model and from their metadata', () => {
  const model = `${DIR}mini-cnn.onnx`;
  const out = join(dir, 'run');
  const trained = run(
    'train',
    '--model',
    model,
    '--data',
    'mini',
    '--epochs',
    '1',
    '--subset',
    '40',
    '--batch-size',
    '20',
    '--attack',
    'none',
    '--eval-subset',
    '20',
    '--lr',
    '0.01',
    '--out',
    out,
  );
  assert.equal(trained.code, 0, trained.stderr);
  const checkpoint = join(out, 'model.safetensors');
  const again = run('eval', '--model', model, '--checkpoint', checkpoint, '--data', 'mini', '--subset', '20', '--json');
  assert.equal(again.code, 0, again.stderr);
  const alone = run('eval', '--checkpoint', checkpoint, '--data', 'mini', '--subset', '20', '--json');
  assert.equal(alone.code, 0, alone.stderr);
  const [a, b] = [JSON.parse(again.stdout), JSON.parse(alone.stdout)];
  assert.equal(a.model.arch, 'onnx');
  assert.equal(a.splits.test.clean.loss, b.splits.test.clean.loss);
  // Trained weights, not the file's: the loss differs from the untrained model's.
  const untrained = JSON.parse(run('eval', '--model', model, '--data', 'mini', '--subset', '20', '--json').stdout);
  assert.notEqual(untrained.splits.test.clean.loss, a.splits.test.clean.loss);
});
