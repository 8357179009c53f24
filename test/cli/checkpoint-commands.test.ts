import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFixture, FIXTURE_DIR, readFloats } from '../helpers/fixtures.ts';
import { npyBytes } from '../helpers/npy-writer.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectBadInput(result: ReturnType<typeof run>, pattern: RegExp) {
  assert.equal(result.code, 2, `exit code (stderr: ${result.stderr})`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, pattern);
}

/** The fixture's inputs and chosen labels as .npy files, and the loss/accuracy PyTorch's logits imply. */
function fixtureData(name: string, labels: number[]) {
  const d = describeFixture(name);
  const images = readFloats(`${FIXTURE_DIR}${name}.input.f32`);
  const imagesPath = join(dir, `${name}-images.npy`);
  const labelsPath = join(dir, `${name}-labels.npy`);
  writeFileSync(imagesPath, npyBytes('<f4', [d.batch, ...d.inputShape], new Uint8Array(images.buffer)));
  writeFileSync(
    labelsPath,
    npyBytes('<i8', [labels.length], new Uint8Array(new BigInt64Array(labels.map(BigInt)).buffer)),
  );
  const logits = readFloats(`${FIXTURE_DIR}${name}.logits-eval.f32`);
  let loss = 0;
  let correct = 0;
  labels.forEach((label, b) => {
    const row = Array.from(logits.subarray(b * d.classes, (b + 1) * d.classes));
    const max = Math.max(...row);
    loss += max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) - row[label]!;
    if (row.indexOf(max) === label) correct++;
  });
  return {
    spec: `npy:${imagesPath},${labelsPath}`,
    loss: loss / labels.length,
    accuracy: correct / labels.length,
    imagesPath,
    labelsPath,
  };
}

test('eval: clean loss and accuracy equal those of PyTorch logits; --out writes the typed result', () => {
  const data = fixtureData('convnet-mnist', [3, 1, 4, 1]);
  const out = join(dir, 'eval.json');
  const result = run(
    '--backend',
    'wasm',
    'eval',
    '--checkpoint',
    `${FIXTURE_DIR}convnet-mnist.pt`,
    '--data',
    data.spec,
    '--width',
    '4',
    '--hidden',
    '16',
    '--out',
    out,
    '--json',
  );
  assert.equal(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).splits, json.splits);
  assert.equal(json.schema, 'weightscape.eval/2');
  const test = json.splits.test;
  assert.ok(Math.abs(test.clean.loss - data.loss) < 1e-5, `loss ${test.clean.loss} vs ${data.loss}`);
  assert.equal(test.clean.accuracy, data.accuracy);
  assert.equal(test.count, 4);
  assert.equal(json.splits.train, undefined);
  assert.equal(json.provenance.backend.name, 'wasm');
  assert.match(json.provenance.checkpoint.sha256, /^[0-9a-f]{64}$/);
  assert.equal(json.model.arch, 'convnet');
});

test('eval detects the architecture when --arch is absent, and reads uint8 images', () => {
  const data = fixtureData('preact-resnet18', [0, 9, 2, 5]);
  const result = run('eval', '--checkpoint', `${FIXTURE_DIR}preact-resnet18.pt`, '--data', data.spec);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /note: architecture detected from the tensors: preact-resnet18/);
  assert.match(result.stdout, /^preact-resnet18 \{"width":4\}, attack none/);
  assert.match(
    result.stdout,
    new RegExp(`test\\s+4\\s+${data.loss.toFixed(4)}\\s+${(100 * data.accuracy).toFixed(2)}%`),
  );
  const bytes = new Uint8Array(2 * 28 * 28).map((_, i) => i % 256);
  const u8 = join(dir, 'u8.npy');
  writeFileSync(u8, npyBytes('|u1', [2, 28, 28], bytes));
  writeFileSync(join(dir, 'u8-labels.npy'), npyBytes('|u1', [2], new Uint8Array([1, 2])));
  const u8run = run(
    'eval',
    '--checkpoint',
    `${FIXTURE_DIR}mlp.pt`,
    '--data',
    `npy:${u8},${join(dir, 'u8-labels.npy')}`,
    '--json',
  );
  assert.equal(u8run.code, 0, u8run.stderr);
  assert.equal(JSON.parse(u8run.stdout).splits.test.count, 2);
});

test('convert: .pt → native safetensors with the architecture in its metadata; same loss without --arch', () => {
  const data = fixtureData('wide-resnet', [1, 2, 3, 4]);
  const native = join(dir, 'wrn.safetensors');
  const converted = run('convert', `${FIXTURE_DIR}wide-resnet.pt`, '--out', native);
  assert.equal(converted.code, 0, converted.stderr);
  const inspected = JSON.parse(run('inspect', native, '--json').stdout);
  assert.equal(inspected.metadata.arch, 'wide-resnet');
  assert.deepEqual(JSON.parse(inspected.metadata.options), { depth: 10, widen: 1 });
  assert.equal(inspected.architecture.source, 'metadata');
  const evaluated = JSON.parse(run('eval', '--checkpoint', native, '--data', data.spec, '--json').stdout);
  assert.ok(Math.abs(evaluated.splits.test.clean.loss - data.loss) < 1e-5);
  expectBadInput(run('convert', native, '--out', native), /--out .*: refusing to overwrite the input/);
});

test('a truncated checkpoint exits 2 with one line naming the file', () => {
  const bytes = readFileSync(`${FIXTURE_DIR}convnet-mnist.pt`);
  const path = join(dir, 'cut.pt');
  writeFileSync(path, bytes.subarray(0, bytes.byteLength >> 1));
  expectBadInput(run('inspect', path), new RegExp(`^weightscape: ${path.replace(/[.]/g, '\\.')}: corrupt zip archive`));
  const st = readFileSync(`${FIXTURE_DIR}mlp.safetensors`);
  writeFileSync(join(dir, 'cut.safetensors'), st.subarray(0, st.byteLength - 100));
  expectBadInput(
    run('inspect', join(dir, 'cut.safetensors')),
    /cut\.safetensors: not a valid safetensors file: tensors cover \d+ bytes but the data section has \d+/,
  );
});

test('a safetensors header that claims 10 GB exits 2 at once', () => {
  const path = join(dir, 'huge.safetensors');
  const bytes = new Uint8Array(64);
  new DataView(bytes.buffer).setBigUint64(0, 10_000_000_000n, true);
  writeFileSync(path, bytes);
  expectBadInput(
    run('inspect', path),
    /huge\.safetensors: not a valid safetensors file: header claims 10000000000 bytes \(limit 100000000\)/,
  );
});

test('a shape mismatch exits 2 naming the tensor with expected and actual shapes', () => {
  const data = fixtureData('convnet-mnist', [0, 0, 0, 0]);
  expectBadInput(
    run(
      'eval',
      '--checkpoint',
      `${FIXTURE_DIR}convnet-mnist.pt`,
      '--data',
      data.spec,
      '--arch',
      'convnet',
      '--width',
      '8',
      '--hidden',
      '16',
    ),
    /does not fit convnet .*feature_extractor\.conv1\.weight has shape \[4, 1, 3, 3\] but convnet expects \[8, 1, 3, 3\]/,
  );
  expectBadInput(
    run('eval', '--checkpoint', `${FIXTURE_DIR}convnet-mnist.pt`, '--data', data.spec, '--arch', 'preact-resnet18'),
    /does not fit preact-resnet18 .*missing conv1\.weight \[64, 1, 3, 3\]/,
  );
});

test('bad data and options exit 2 with one line: wrong magic, label out of range, foreign option', () => {
  const data = fixtureData('mlp', [0, 1, 2, 3]);
  writeFileSync(join(dir, 'not.npy'), 'hello');
  expectBadInput(
    run('eval', '--checkpoint', `${FIXTURE_DIR}mlp.pt`, '--data', `npy:${join(dir, 'not.npy')},${data.labelsPath}`),
    /not\.npy: not a valid \.npy file: wrong magic number/,
  );
  writeFileSync(
    join(dir, 'bad-labels.npy'),
    npyBytes('<i4', [4], new Uint8Array(new Int32Array([0, 1, 12, 3]).buffer)),
  );
  expectBadInput(
    run(
      'eval',
      '--checkpoint',
      `${FIXTURE_DIR}mlp.pt`,
      '--data',
      `npy:${data.imagesPath},${join(dir, 'bad-labels.npy')}`,
    ),
    /label 12 of image 2 is outside 0\.\.9/,
  );
  expectBadInput(
    run('eval', '--checkpoint', `${FIXTURE_DIR}mlp.pt`, '--data', data.spec, '--arch', 'mlp', '--depth', '10'),
    /mlp: unknown option 'depth'/,
  );
  expectBadInput(
    run('eval', '--checkpoint', join(dir, 'missing.pt'), '--data', data.spec),
    /missing\.pt: cannot read the file/,
  );
  assert.equal(existsSync(join(dir, 'missing.pt')), false);
});
