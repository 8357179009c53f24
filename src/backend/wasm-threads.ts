/**
 * The threaded SIMD build of tfjs-backend-wasm under Node. tfjs 4.22 turns threads off under
 * Node on purpose: its pthread workers are made from Blob URLs, which Node cannot load, and the
 * pool size is half of the logical cores (one thread on two cores). This adapter, pinned to the
 * tfjs version in package.json, instantiates the same emscripten build itself with the workers
 * loaded from files and the requested thread count, and registers it as the 'wasm' backend.
 * XNNPACK then spreads convolutions and matrix products over the threads (speed-up:
 * docs/engine-notes.md); element-wise kernels stay on one thread.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const WORKER_FILE = join(dirname(fileURLToPath(import.meta.url)), 'wasm-pthread-worker.cjs');
/** emscripten pre-creates 8 workers; the thread pool cannot use more. */
export const MAX_WASM_THREADS = 8;

interface EmscriptenWorker {
  unref(): void;
}
interface ThreadedModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  PThread: { unusedWorkers: EmscriptenWorker[]; runningWorkers: EmscriptenWorker[]; terminateAllThreads(): void };
  tfjs?: Record<string, unknown>;
}
type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/**
 * Instantiates the threaded build with `threads` threads. The build sizes its pool from
 * os.cpus() while it starts (a C++ global initializer reads it), so os.cpus is widened for
 * that moment only.
 */
async function instantiate(threads: number): Promise<ThreadedModule> {
  const factoryPath = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const factory = require(factoryPath) as ThreadedFactory;
  const cpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]!);
  let module: ThreadedModule;
  try {
    module = await factory({
      locateFile: (path: string) => (path.endsWith('.worker.js') ? WORKER_FILE : join(dirname(factoryPath), path)),
      mainScriptUrlOrBlob: factoryPath,
    });
  } finally {
    os.cpus = cpus;
  }
  // The same bridge tfjs builds in its own init().
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  // Idle workers must not keep the process alive; running ones are released by releaseWasmThreads.
  for (const worker of module.PThread.unusedWorkers) worker.unref();
  return module;
}

const WASM_PRIORITY = 2;
type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
/** tfjs's own single-threaded registration, kept to restore it. */
let tfjsFactory: BackendFactory | undefined;
let registeredThreads = 1;
let activeModule: ThreadedModule | undefined;

function threadedFactory(threads: number): BackendFactory {
  return async () => {
    activeModule = await instantiate(threads);
    wasmBackend.setThreadsCount(threads);
    return new wasmBackend.BackendWasm(activeModule as never);
  };
}

/** Replaces the 'wasm' registration; removing the old one disposes its instance and threads. */
function replaceRegistration(factory: BackendFactory): void {
  if (tf.findBackendFactory('wasm') !== null) tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, WASM_PRIORITY);
}

/**
 * Registers the 'wasm' backend as the threaded build with `threads` threads (1: tfjs's own
 * single-threaded build). Takes effect at the next tf.setBackend('wasm').
 */
export function registerWasmBackend(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new RangeError(`wasm threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${threads}`);
  }
  if (threads === registeredThreads) return;
  tfjsFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  if (tfjsFactory === undefined) throw new Error('@tensorflow/tfjs-backend-wasm is not loaded');
  replaceRegistration(threads === 1 ? tfjsFactory : threadedFactory(threads));
  activeModule = undefined;
  registeredThreads = threads;
}

/** Threads of the registered 'wasm' backend. */
export function registeredWasmThreads(): number {
  return registeredThreads;
}

/**
 * Disposes the 'wasm' backend instance, ending the threaded build's worker threads (which keep
 * the process alive once they have run), and leaves the same registration in place:
 * tf.setBackend('wasm') starts a fresh instance if more work follows.
 */
export function releaseWasmBackend(): void {
  if (tf.findBackend('wasm') === null) return;
  tfjsFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  if (tfjsFactory === undefined) return;
  replaceRegistration(registeredThreads === 1 ? tfjsFactory : threadedFactory(registeredThreads));
  activeModule = undefined;
}
