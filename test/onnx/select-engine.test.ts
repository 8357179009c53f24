/** The engine choice: what it puts in use and what results record of it. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeEngine, releaseEngine } from '../../src/models/engine-registry.ts';
import { tfjsEngine } from '../../src/models/tfjs-engine.ts';
import { loadOnnxRuntime } from '../../src/onnx/onnx-runtime.ts';
import { selectEngine } from '../../src/onnx/select-engine.ts';

after(releaseEngine);

test('onnxruntime not asked for: tfjs, recording nothing', () => {
  assert.equal(selectEngine('wasm', { onnxruntime: false, threads: 1 }), tfjsEngine);
  assert.deepEqual(activeEngine().record, {});
});

test('with the node backends onnxruntime is not used, and the record says why', () => {
  const engine = selectEngine('node', { onnxruntime: true, threads: 1 });
  assert.equal(engine.name, 'tfjs');
  assert.deepEqual(engine.record, { onnxruntimeOff: 'not used with the node backend' });
  assert.equal(activeEngine(), engine);
});

test('on wasm or cpu, onnxruntime is put in use and recorded with its version and threads (or why not)', (t) => {
  const runtime = loadOnnxRuntime(2);
  const engine = selectEngine('cpu', { onnxruntime: true, threads: 2 });
  assert.equal(activeEngine(), engine);
  if (typeof runtime === 'string') {
    assert.deepEqual(engine.record, { onnxruntimeOff: runtime });
    t.skip(`onnxruntime not available: ${runtime}`);
    return;
  }
  assert.equal(engine.name, 'onnxruntime');
  assert.deepEqual(engine.record, { onnxruntime: { version: runtime.version, threads: 2 } });
  // Choosing again frees the previous engine and starts from tfjs.
  assert.equal(selectEngine('cpu', { onnxruntime: false, threads: 2 }), tfjsEngine);
});
