/** Tests: a tfjs backend and an engine chosen as the CLI context chooses them. */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { releaseBackend, selectBackend, type BackendInfo, type BackendName } from '../../src/backend/select-backend.ts';
import { releaseEngine } from '../../src/models/engine-registry.ts';
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
