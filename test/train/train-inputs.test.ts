import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { resolveTrainConfig } from '../../src/train/train-config.ts';
import { train } from '../../src/train/trainer.ts';
import { npyBytes } from '../helpers/npy-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'weightscape-train-inputs-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('train refuses labels outside 0..classes−1 before any work, as eval does (it trained and logged 0.0%)', async () => {
  const n = 8;
  writeFileSync(
    join(dir, 'x.npy'),
    npyBytes(
      '|u1',
      [n, 4, 4],
      new Uint8Array(n * 16).map((_, i) => i % 256),
    ),
  );
  writeFileSync(
    join(dir, 'y.npy'),
    npyBytes('<i4', [n], new Uint8Array(Int32Array.from({ length: n }, (_, i) => 10 + i).buffer)),
  );
  const config = resolveTrainConfig({
    arch: 'mlp',
    archOptions: { hidden: '4' },
    data: `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`,
    method: 'standard',
    epochs: 1,
    batchSize: 4,
    evalSubset: 4,
  });
  const out = join(dir, 'run');
  const backend = await selectBackend('cpu');
  assert.throws(
    () => train({ config, outDir: out, resume: false, backend }),
    (e: unknown) =>
      e instanceof WeightscapeError && e.isUserError && /label 10 of image 0 is outside 0\.\.9/.test(e.message),
  );
  assert.equal(existsSync(out), false, 'nothing written');
  // --classes 20 makes the same labels valid: one rule with eval's.
  const log = train({ config: { ...config, classes: 20 }, outDir: out, resume: false, backend });
  assert.equal(log.model.classes, 20);
});
