/** Tests: a tfjs backend and an engine chosen as the CLI context chooses them. */
import { selectBackend, type BackendInfo, type BackendName } from '../../src/backend/select-backend.ts';
import { selectEngine } from '../../src/onnx/select-engine.ts';

/** Starts `backend` and puts onnxruntime in use when asked (and it loads); returns what results record. */
export async function selectBackendAndEngine(
  backend: BackendName,
  { onnxruntime = false, wasmThreads = 1 } = {},
): Promise<BackendInfo> {
  const info = await selectBackend(backend, { wasmThreads });
  return { ...info, ...selectEngine(info.name, { onnxruntime, threads: wasmThreads }).record };
}
