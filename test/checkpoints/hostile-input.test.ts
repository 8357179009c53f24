import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { detectArchitecture } from '../../src/checkpoints/detect-architecture.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { readPytorchCheckpoint } from '../../src/checkpoints/pytorch-checkpoint.ts';
import { serializeSafetensors } from '../../src/checkpoints/safetensors.ts';
import { DEFAULT_MAX_TENSOR_BYTES, resolveMaxTensorBytes } from '../../src/checkpoints/tensor-budget.ts';
import { readTfjsWeights } from '../../src/checkpoints/tfjs-weights.ts';
import { parseNpy } from '../../src/data/npy.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { torchView, zipStored } from '../helpers/torch-writer.ts';
import { npyBytes } from '../helpers/npy-writer.ts';
import { FIXTURE_DIR } from '../helpers/fixtures.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-hostile-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const fixture = `${FIXTURE_DIR}convnet-mnist.safetensors`;

function refused(fn: () => unknown, pattern: RegExp, code: 'bad-file' | 'bad-argument' = 'bad-file') {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof WeightscapeError, `expected a WeightscapeError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a zero-stride view of one float as 2^15×2^15 is refused by the 4 GiB limit before anything is allocated', () => {
  const bytes = torchView('w', [2 ** 15, 2 ** 15], [0, 0], 1);
  assert.ok(bytes.byteLength < 1000);
  const path = write('zero-stride.pt', bytes);
  const before = process.memoryUsage().arrayBuffers;
  refused(
    () => loadCheckpoint(path),
    /zero-stride\.pt: tensor 'w' \[32768, 32768\] has 1073741824 values \(4294967296 bytes\), which reaches the limit of 4294967296 bytes/,
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 ** 2, 'no 4 GiB array');
});

test('a 2^40-value view and a view past its storage are refused, naming the file and the tensor', () => {
  refused(
    () => loadCheckpoint(write('huge.pt', torchView('layer.w', [2 ** 20, 2 ** 20], [0, 0], 1))),
    /huge\.pt: tensor 'layer\.w' \[1048576, 1048576\] has 1099511627776 values/,
  );
  // A stride whose last index (2^52) lies far outside a 4-value storage.
  refused(
    () => loadCheckpoint(write('outside.pt', torchView('w', [2, 2], [2 ** 52, 1], 4))),
    /outside\.pt \(storage 0\): tensor view reaches element 4503599627370497 of a storage with 4/,
  );
  // Sizes and strides whose product overflows a double must not wrap into a small index.
  refused(
    () => readPytorchCheckpoint(torchView('w', [2 ** 52, 2], [2 ** 52, 1], 4), 'wrap.pt'),
    /wrap\.pt \(storage 0\): tensor view reaches element 20282409603651665920347623915521 of a storage with 4/,
  );
});

test('a zero-stride view under the limit is decoded, every value from the one stored float', () => {
  const checkpoint = loadCheckpoint(write('broadcast.pt', torchView('w', [3, 4], [0, 1], 4, 0)));
  assert.deepEqual(Array.from(checkpoint.tensors.get('w')!.values), [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
});

test('the limit counts every tensor of a file, and comes from the argument, the environment, or 4 GiB', () => {
  // convnet-mnist has 3,574 values: 14,296 bytes.
  assert.equal(loadCheckpoint(fixture, { maxTensorBytes: 14_297 }).tensors.size, 14);
  refused(
    () => loadCheckpoint(fixture, { maxTensorBytes: 14_296 }),
    /convnet-mnist\.safetensors: tensor '[^']+' \[[\d, ]*\] has \d+ values \(\d+ bytes\) with the \d+ bytes before it, which reaches the limit of 14296 bytes/,
  );
  assert.equal(resolveMaxTensorBytes(undefined, {}), DEFAULT_MAX_TENSOR_BYTES);
  assert.equal(resolveMaxTensorBytes(undefined, { WEIGHTSCAPE_MAX_TENSOR_BYTES: '8e9' }), 8e9);
  assert.equal(resolveMaxTensorBytes(123, { WEIGHTSCAPE_MAX_TENSOR_BYTES: '8e9' }), 123);
  refused(
    () => resolveMaxTensorBytes(undefined, { WEIGHTSCAPE_MAX_TENSOR_BYTES: '4GB' }),
    /^WEIGHTSCAPE_MAX_TENSOR_BYTES: expected a positive whole number of bytes, got '4GB'$/,
    'bad-argument',
  );
});

test('.npy, TF.js and deflated zip entries get the same bounds', () => {
  // A header claiming 2^40×2^40 float32 over 16 data bytes: exact arithmetic, no wrap.
  refused(
    () => parseNpy(npyBytes('<f4', [2 ** 40, 2 ** 40], new Uint8Array(16)), 'x.npy'),
    /x\.npy: not a valid \.npy file: shape \(1099511627776, 1099511627776\) of <f4 needs 4835703278458516698824704 data bytes but the file has 16/,
  );
  refused(
    () => parseNpy(npyBytes('|u1', [10, 10], new Uint8Array(100)), 'images.npy', 400),
    /images\.npy: array \[10, 10\] has 100 values \(400 bytes\), which reaches the limit of 400 bytes/,
  );
  assert.equal(parseNpy(npyBytes('|u1', [10, 10], new Uint8Array(100)), 'images.npy', 401).shape.length, 2);

  const tfjs = join(dir, 'tfjs');
  mkdirSync(tfjs);
  writeFileSync(join(tfjs, 'w.bin'), new Uint8Array(8));
  const manifest = (shape: number[]) =>
    writeFileSync(
      join(tfjs, 'model.json'),
      JSON.stringify({ weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'w', shape, dtype: 'float32' }] }] }),
    );
  manifest([2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31]); // 2^124 × 4 bytes: would round, as a double, to anything
  refused(
    () => readTfjsWeights(join(tfjs, 'model.json')),
    /weight 'w' needs bytes up to 85070591730234615865843651857942052864 but the shards hold 8/,
  );
  manifest([2]);
  assert.deepEqual(Array.from(readTfjsWeights(join(tfjs, 'model.json')).get('w')!.values), [0, 0]);
  writeFileSync(
    join(tfjs, 'model.json'),
    JSON.stringify({ weightsManifest: [{ paths: ['missing.bin'], weights: [] }, null] }),
  );
  refused(() => readTfjsWeights(join(tfjs, 'model.json')), /missing\.bin: cannot read the file \(no such file\)/);

  // A deflated entry declaring 1 MiB, under a 1000-byte limit: refused before inflating.
  const payload = new Uint8Array(2 ** 20);
  const zip = zipStored([['archive/data.pkl', deflateRawSync(payload)]]);
  const view = new DataView(zip.buffer);
  const central = zip.byteLength - 22 - 46 - 'archive/data.pkl'.length;
  view.setUint16(central + 10, 8, true);
  view.setUint32(central + 24, payload.byteLength, true);
  refused(
    () => readPytorchCheckpoint(zip, 'bomb.pt', 1000),
    /bomb\.pt: compressed entries would inflate to more than the limit of 1000 bytes/,
  );
});

test('tensors named fc1.weight and fc7.weight (no fc2) are simply not recognized', () => {
  const t = (shape: number[]) => ({
    dtype: 'float32' as const,
    shape,
    values: new Float32Array(shape.reduce((a, b) => a * b, 1)),
  });
  assert.equal(
    detectArchitecture(
      new Map([
        ['fc1.weight', t([2, 4])],
        ['fc7.weight', t([3, 2])],
      ]),
    ),
    undefined,
  );
});

test('a directory given as a checkpoint is refused by name', () => {
  refused(
    () => loadCheckpoint(dir),
    new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is a directory, expected a checkpoint file$`),
  );
});

test('inspect: exit 2 with one line for a directory, a zero-stride bomb and a lowered --max-tensor-bytes; names escaped', () => {
  const directory = cli('inspect', dir);
  assert.equal(directory.code, 2);
  assert.equal(directory.stderr, `weightscape: ${dir}: is a directory, expected a checkpoint file\n`);

  const bomb = cli('inspect', write('bomb.pt', torchView('evil\u001b[2J\nname', [2 ** 15, 2 ** 15], [0, 0], 1)));
  assert.equal(bomb.code, 2);
  assert.equal(bomb.stderr.split('\n').length, 2, 'one line');
  assert.match(
    bomb.stderr,
    /bomb\.pt: tensor 'evil\\x1b\[2J\\nname' \[32768, 32768\].*\(raise it with --max-tensor-bytes or WEIGHTSCAPE_MAX_TENSOR_BYTES/,
  );

  const lowered = cli('--max-tensor-bytes', '1000', 'inspect', fixture);
  assert.equal(lowered.code, 2);
  assert.match(lowered.stderr, /which reaches the limit of 1000 bytes/);

  const name = 'red\u001b[31m\r\nfake line\u0007';
  const tensors = new Map([[name, { dtype: 'F32' as const, shape: [1], bytes: new Uint8Array(4) }]]);
  const listed = cli('inspect', write('names.safetensors', serializeSafetensors(tensors, { 'k\u009bey': 'v\u2028x' })));
  assert.equal(listed.code, 0);
  assert.doesNotMatch(
    listed.stdout,
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028]/,
    'no control characters but the line ends',
  );
  assert.match(listed.stdout, /^red\\x1b\[31m\\r\\nfake line\\x07 +\[1\]/m);
  assert.match(listed.stdout, /^metadata k\\x9bey: v\\u2028x$/m);
});

test('the notes about skipped entries, printed by every command, carry escaped keys', () => {
  // An integer entry (a training step, say) under a key with control characters, before a tensor.
  const path = write('notes.pt', torchView('w', [1], [1], 1, 0, [['step\u001b[2J\n', 3]]));
  assert.deepEqual(loadCheckpoint(path).notes, ['skipped 1 non-tensor entries: step\\x1b[2J\\n']);
});
