/**
 * Starting and stopping the compute, once per process: the tfjs backend (the best that loads, or
 * the one named) and the engine on top of it (onnxruntime when asked for and it loads, tfjs
 * otherwise). What it returns is what every result records as `provenance.backend`.
 */
import os from 'node:os';
import { releaseBackend, selectBackend, type BackendInfo, type BackendName } from './backend/select-backend.ts';
import { MAX_WASM_THREADS } from './backend/wasm-threads.ts';
import { releaseEngine } from './models/engine-registry.ts';
import { selectEngine } from './onnx/select-engine.ts';

export interface EngineRequest {
  /** The tfjs backend (default: the best that loads). */
  backend?: BackendName;
  /** WASM and onnxruntime threads (default: one per core, at most 8). */
  threads?: number;
  /** Run logits and gradients in onnxruntime when it loads (default true). */
  onnxruntime?: boolean;
}

/** One thread per core, at most the pool emscripten pre-creates. */
export function defaultThreads(): number {
  return Math.min(os.cpus().length, MAX_WASM_THREADS);
}

/** Starts the backend and puts the engine in use; returns what results record about both. */
export async function startEngine({
  backend,
  threads = defaultThreads(),
  onnxruntime = true,
}: EngineRequest = {}): Promise<BackendInfo> {
  const tfjsBackend = await selectBackend(backend, { wasmThreads: threads });
  const engine = selectEngine(tfjsBackend.name, { onnxruntime, threads });
  return { ...tfjsBackend, ...engine.record };
}

/** Frees the engine's sessions and the WASM backend's threads (which keep the process alive). */
export async function stopEngine(): Promise<void> {
  releaseEngine();
  await releaseBackend();
}
