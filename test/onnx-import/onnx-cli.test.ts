/**
 * `--model model.onnx` through the CLI, run in this process as bin/weightscape.js runs it (a spawn
 * costs seconds): sample and eval on an exported ResNet-style network give PyTorch's numbers, an
 * unsupported operator exits 2 with one line, and what training the imported model writes reloads
 * with the same --model and from its own metadata alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { resolveModelConfig } from '../../src/checkpoints/model-config.ts';
import { architecture } from '../../src/models/registry.ts';
import { resolveTrainConfig } from '../../src/train/train-config.ts';
import { train } from '../../src/train/trainer.ts';
import { main } from '../../cli/main.ts';
import { modelRequest } from '../../cli/model-options.ts';
import { maxAbsDifference } from '../helpers/fixtures.ts';

const DIR = fileURLToPath(new URL('../../fixtures/onnx/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-onnx-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/**
 * The CLI run in this process as bin/weightscape.js runs it (a spawn costs seconds). Its output (the
 * commands write strings) is captured; the test runner's own reports (bytes on stdout) pass through.
 */
async function run(...args: string[]) {
  const captured = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: 'stdout' | 'stderr') =>
    function (this: NodeJS.WriteStream, chunk: string | Uint8Array, ...rest: unknown[]) {
      if (typeof chunk !== 'string') return (writes[stream] as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
      captured[stream] += chunk;
      return true;
    } as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    const code = await main(['node', 'weightscape', ...args]);
    return { code, ...captured };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
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

test('sample --model resnet-ish.onnx: the curve along the saved direction equals PyTorch’s to 1e-4', async () => {
  const out = join(dir, 'sample.json');
  const direction = `file:${DIR}resnet-ish.direction.safetensors`;
  const result = await run(
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

test('eval --model resnet-ish.onnx: the loss and accuracy of PyTorch’s logits', async () => {
  const result = await run('eval', '--model', RESNET, '--data', DATA, '--split', 'test', '--json');
  assert.equal(result.code, 0, result.stderr);
  const evaluation = JSON.parse(result.stdout);
  const { loss, accuracy } = pytorchLoss();
  assert.ok(
    Math.abs(evaluation.splits.test.clean.loss - loss) < 1e-5,
    `${evaluation.splits.test.clean.loss} vs ${loss}`,
  );
  assert.equal(evaluation.splits.test.clean.accuracy, accuracy);
  assert.match(result.stderr, /note: the ONNX file holds no num_batches_tracked: 6 BatchNorm counts start at 0/);
  assert.doesNotMatch(result.stderr, /num_batches_tracked missing/);
});

test('eval --model with an unsupported operator: exit code 2 and one line naming the file, operator and node', async () => {
  const result = await run('eval', '--model', `${DIR}softplus.onnx`, '--data', DATA, '--split', 'test');
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /softplus\.onnx: unsupported operator Softplus \(node '\/Softplus'\)/);
});

test('training mini-cnn.onnx (as train --model does): its checkpoint reloads with the same --model, and from its metadata alone', async () => {
  const model = `${DIR}mini-cnn.onnx`;
  const out = join(dir, 'run');
  const request = modelRequest({ model });
  const config = resolveTrainConfig({
    arch: request.arch!,
    archOptions: architecture(request.arch!).parseOptions(request.options ?? {}) as Record<string, unknown>,
    data: 'mini',
    method: 'standard',
    epochs: 1,
    subset: 40,
    batchSize: 20,
    evalSubset: 20,
    lr: 0.01,
  });
  train({ config, outDir: out, resume: false, backend: await selectBackend('wasm') });
  const checkpoint = join(out, 'model.safetensors');
  // With the same --model (what eval --model m.onnx --checkpoint run/model.safetensors resolves) ...
  const saved = loadCheckpoint(checkpoint);
  const withModel = resolveModelConfig(saved, modelRequest({ model }));
  assert.equal(withModel.arch, 'onnx');
  assert.equal(withModel.options.file, model);
  // ... and from its metadata alone: the same configuration, trained weights (not the file's initializers).
  const alone = resolveModelConfig(saved, {});
  assert.deepEqual(alone, withModel);
  assert.match(String(alone.options.sha256), /^[0-9a-f]{64}$/);
  const { weights } = checkpointToWeights(saved, alone);
  const initial = loadCheckpoint(model).tensors.get('conv1.weight')!.values;
  assert.ok(maxAbsDifference(saved.tensors.get('conv1.weight')!.values, initial) > 1e-4, 'training moved conv1');
  assert.equal(saved.tensors.get('bn1.num_batches_tracked')!.values[0], 2, 'two batches counted from 0');
  disposeWeights(weights);
});
