/** Tests: a tfjs backend and an engine chosen as the CLI context chooses them. */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { releaseBackend, selectBackend, type BackendInfo, type BackendName } from '../../src/backend/select-backend.ts';
import { releaseEngine, useEngine } from '../../src/models/engine-registry.ts';
import type { Engine, ModelFunction } from '../../src/models/model-function.ts';
import { createOnnxEngine } from '../../src/onnx/onnx-engine.ts';
import { selectEngine } from '../../src/onnx/select-engine.ts';

/** Starts `backend` and puts onnxruntime in use when asked (and it loads); returns what results record. */
export async function selectBackendAndEngine(
  backend: BackendName,
  { onnxruntime = false, wasmThreads = 1 } = {},
): Promise<BackendInfo> {
  const info = await selectBackend(backend, { wasmThreads });
  return { ...info, ...selectEngine(info.name, { onnxruntime, threads: wasmThreads }).record };
}

/** node:test hooks for a whole file: the wasm backend with onnxruntime in use (asserted to load), released after. */
export function useOnnxruntimeInThisFile(): void {
  before(async () => {
    const info = await selectBackendAndEngine('wasm', { onnxruntime: true });
    assert.ok(info.onnxruntime !== undefined, `onnxruntime did not load: ${info.onnxruntimeOff}`);
  });
  after(async () => {
    releaseEngine();
    await releaseBackend();
  });
}

/** An engine in use that is not disposed when replaced (tests that switch between two engines). */
export function useUndisposed(engine: Engine): Engine {
  return useEngine({ ...engine, dispose() {} });
}

/**
 * `engine` whose model functions refuse the tfjs `forward` and count the calls of `method`: proof
 * that a computation ran on the engine's own path.
 */
export function countingEngine(
  engine: Engine,
  method: 'trainingGradients' | 'cumulativeBatchNormState',
  counter: { calls: number },
): Engine {
  return {
    ...engine,
    dispose() {},
    modelFunction(config, weights, options) {
      const model = engine.modelFunction(config, weights, options);
      const counted = ((...args: unknown[]) => {
        counter.calls++;
        return (model[method] as (...a: unknown[]) => unknown)(...args);
      }) as ModelFunction[typeof method];
      return { ...model, forward: () => assert.fail('the tfjs forward was used'), [method]: counted };
    },
  };
}

/**
 * node:test hooks for a file that switches engines: the wasm backend and an onnxruntime engine of
 * its own (1 thread, asserted to load), disposed after; read them inside tests.
 */
export function ownOnnxEngineInThisFile(): { engine: () => Engine; backend: () => BackendInfo } {
  let onnx: Engine | undefined;
  let backend: BackendInfo | undefined;
  before(async () => {
    backend = await selectBackend('wasm');
    const engine = createOnnxEngine(1);
    assert.ok(typeof engine !== 'string', `onnxruntime did not load: ${String(engine)}`);
    onnx = engine;
  });
  after(() => {
    releaseEngine();
    onnx?.dispose();
  });
  return { engine: () => onnx!, backend: () => backend! };
}
