import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHITECTURES, architecture } from '../../src/models/registry.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('what differs between architectures is a property of the architecture: default input, unused tensors, detection', () => {
  assert.deepEqual(architecture('mlp').defaultInput, { height: 28, width: 28, channels: 1 });
  for (const name of ['convnet', 'preact-resnet18', 'wide-resnet'])
    assert.deepEqual(architecture(name).defaultInput, { height: 32, width: 32, channels: 3 });
  // WRN-10-2: block1 has one block, 16 → 32 channels, so sub_block1 is bn1 (5), conv1, bn2 (5), conv2 and convShortcut.
  const unused = architecture('wide-resnet').unusedTensors!({ depth: 10, widen: 2 });
  assert.equal(unused.specs.length, 13);
  assert.deepEqual(
    unused.specs.find((s) => s.name === 'sub_block1.layer.0.convShortcut.weight')?.shape,
    [32, 16, 1, 1],
  );
  assert.equal(unused.note, "the reference code's unused sub_block1");
  assert.deepEqual(
    Object.keys(ARCHITECTURES).filter((name) => architecture(name).unusedTensors !== undefined),
    ['wide-resnet'],
  );
  const mlpShapes = new Map([
    ['fc1.weight', [64, 3 * 16 * 16]],
    ['fc2.weight', [10, 64]],
  ]);
  assert.deepEqual(architecture('mlp').candidates(mlpShapes), [
    { arch: 'mlp', options: { hidden: [64] }, input: { height: 16, width: 16, channels: 3 }, classes: 10 },
  ]);
  assert.deepEqual(architecture('preact-resnet18').candidates(mlpShapes), []);
});

test('no code outside src/models/ branches on an architecture name', () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join(SRC, 'models')) walk(path);
      } else if (entry.name.endsWith('.ts')) {
        readFileSync(path, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/arch\s*[!=]==\s*'/.test(line)) offenders.push(`${path.slice(SRC.length)}:${i + 1}`);
          });
      }
    }
  };
  walk(SRC);
  assert.deepEqual(offenders, []);
});
