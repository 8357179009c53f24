import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectArchitecture } from '../../src/checkpoints/detect-architecture.ts';
import type { HostTensor } from '../../src/checkpoints/host-tensor.ts';
import { loadCheckpoint } from '../../src/checkpoints/load-checkpoint.ts';
import { ARCHITECTURES, architecture } from '../../src/models/registry.ts';
import { describeFixture, FIXTURE_DIR, MODEL_FIXTURES } from '../helpers/fixtures.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('what differs between architectures is a property of the architecture: default input, unused tensors, detection', () => {
  assert.deepEqual(architecture('mlp').defaultInput, { height: 28, width: 28, channels: 1 });
  for (const name of ['convnet', 'preact-resnet18', 'wide-resnet', 'resnet'])
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

test('each model fixture is detected from its tensors as its own architecture (resnet and preact-resnet18 apart)', () => {
  for (const name of MODEL_FIXTURES) {
    const d = describeFixture(name);
    const detected = detectArchitecture(loadCheckpoint(`${FIXTURE_DIR}${name}.pt`).tensors);
    assert.equal(detected?.arch, d.arch, name);
    assert.equal(detected.classes, d.classes, name);
    if (d.arch === 'resnet' || d.arch === 'preact-resnet18') assert.deepEqual(detected.options, d.options, name);
  }
});

test('resnet: depth, stem, width, input channels and classes are read off the tensor shapes, for every depth', () => {
  const resnet = architecture('resnet');
  assert.deepEqual(resnet.parseOptions({}), { depth: 18, width: 64, stem: 'cifar' });
  assert.deepEqual(resnet.parseOptions({ depth: '50', width: '8', stem: 'imagenet' }), {
    depth: 50,
    width: 8,
    stem: 'imagenet',
  });
  assert.throws(() => resnet.parseOptions({ depth: '20' }), /resnet: --depth must be one of 18, 34, 50, 101, 152/);
  assert.throws(() => resnet.parseOptions({ stem: 'tiny' }), /resnet: option 'stem' must be one of cifar, imagenet/);
  assert.throws(() => resnet.parseOptions({ widen: '2' }), /resnet: unknown option 'widen'/);
  for (const depth of [18, 34, 50, 101, 152]) {
    for (const stem of ['cifar', 'imagenet']) {
      const config = {
        arch: 'resnet',
        options: { depth, width: 8, stem },
        input: { height: 32, width: 32, channels: 1 },
        classes: 7,
      };
      const shapes = architecture('resnet').tensorSpecs(config);
      const tensors = new Map<string, HostTensor>(
        shapes.map((s) => [s.name, { dtype: 'float32', shape: s.shape, values: new Float32Array(0) }]),
      );
      assert.deepEqual(detectArchitecture(tensors), config, `${depth} ${stem}`);
      // One block fewer in layer3 is no ResNet of kuangliu's: not detected.
      const last = [...tensors.keys()]
        .filter((k) => k.startsWith('layer3.'))
        .at(-1)!
        .split('.')[1];
      const fewer = new Map([...tensors].filter(([k]) => !k.startsWith(`layer3.${last}.`)));
      assert.equal(detectArchitecture(fewer), undefined, `${depth} ${stem} without layer3.${last}`);
    }
  }
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
