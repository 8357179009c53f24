/**
 * Picks the TensorFlow.js backend: the best one that loads (node-gpu → node → wasm → cpu), or the
 * one the user names. tfjs-node(-gpu) are optional dependencies whose install downloads
 * libtensorflow, so they are imported lazily and may be missing.
 */
import * as tf from '@tensorflow/tfjs';
import { WeightscapeError } from '../errors.ts';
import { installFastGradients, uninstallFastGradients } from './fast-gradients.ts';

export const BACKEND_NAMES = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What a result records about the backend it was computed on. */
export interface BackendInfo {
  name: BackendName;
  /** The name TensorFlow.js registered it under ('tensorflow', 'wasm', 'cpu'). */
  tfjsName: string;
  /** WASM only: whether the SIMD build is in use. */
  simd?: boolean;
  /** WASM only: threads of the loaded build. */
  threads?: number;
  /** Whether weightscape's gradient formulas (forward-kernel based) replace the defaults. */
  fastGradients: boolean;
  tfjsVersion: string;
  /**
   * Set from the engine choice (not here): the onnxruntime engine (logits, attacks' input
   * gradients, training gradients), when in use; `onnxruntimeOff` says why it is not.
   */
  onnxruntime?: { version: string; threads: number };
  onnxruntimeOff?: string;
}

export interface BackendProbe {
  name: BackendName;
  loads: boolean;
  /** Why it does not load, in one line. */
  reason?: string;
}

const TFJS_NAME: Record<BackendName, string> = {
  'node-gpu': 'tensorflow',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const PACKAGE: Record<BackendName, string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const loadErrors = new Map<BackendName, string>();
/** Which of the two node packages registered 'tensorflow' in this process. */
let loadedNodePackage: BackendName | undefined;

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Cannot find (package|module)/.test(message)) return 'not installed';
  return message.split('\n')[0] ?? message;
}

/** Imports the backend's package (registering it with tfjs); false with a reason when it cannot. */
async function importBackend(name: BackendName): Promise<boolean> {
  if (loadErrors.has(name)) return false;
  // Both node packages register 'tensorflow'; only one of them can own that name in a process.
  if ((name === 'node' || name === 'node-gpu') && tf.findBackendFactory('tensorflow') !== null) {
    return loadedNodePackage === name;
  }
  try {
    await import(PACKAGE[name]);
    if (name === 'node' || name === 'node-gpu') loadedNodePackage = name;
    return true;
  } catch (error) {
    loadErrors.set(name, oneLine(error));
    return false;
  }
}

/**
 * Makes `name` the active backend; false (with the reason recorded) when it cannot start.
 * `wasmThreads` (wasm only) picks the single-threaded build (1) or the threaded one.
 */
async function activate(name: BackendName, wasmThreads?: number): Promise<boolean> {
  if (!(await importBackend(name))) return false;
  try {
    if (name === 'wasm' && wasmThreads !== undefined)
      (await import('./wasm-threads.ts')).registerWasmBackend(wasmThreads);
    const ok = await tf.setBackend(TFJS_NAME[name]);
    if (!ok) loadErrors.set(name, 'failed to initialize');
    return ok;
  } catch (error) {
    loadErrors.set(name, oneLine(error));
    return false;
  }
}

async function describeActive(name: BackendName): Promise<BackendInfo> {
  const info: BackendInfo = {
    name,
    tfjsName: tf.getBackend(),
    fastGradients: name === 'wasm',
    tfjsVersion: tf.version.tfjs,
  };
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    info.threads = wasm.getThreadsCount();
  }
  return info;
}

export interface BackendOptions {
  /** Threads of the WASM backend (default 1: tfjs's single-threaded build). */
  wasmThreads?: number;
}

/**
 * Activates the named backend, or the best one that loads when none is named, and installs the
 * WASM gradient formulas when WASM is active (removing them otherwise).
 */
export async function selectBackend(
  preferred?: BackendName,
  { wasmThreads = 1 }: BackendOptions = {},
): Promise<BackendInfo> {
  const candidates = preferred === undefined ? BACKEND_NAMES : [preferred];
  for (const name of candidates) {
    if (await activate(name, wasmThreads)) {
      if (name === 'cpu') silenceCpuAdvice();
      if (name === 'wasm') installFastGradients();
      else uninstallFastGradients();
      return await describeActive(name);
    }
  }
  const tried = candidates.map((name) => `${name}: ${loadErrors.get(name) ?? 'failed'}`).join('; ');
  throw new WeightscapeError('backend-unavailable', `no usable TensorFlow.js backend (${tried})`, {
    suggestion: preferred === undefined ? undefined : 'omit --backend to use the best one that loads',
  });
}

/** The cpu backend prints a banner on first use; weightscape already says which backend it uses. */
function silenceCpuAdvice(): void {
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

/**
 * Disposes the active WASM instance (its worker threads keep the process alive) and leaves it
 * registered, so that a later selectBackend starts a fresh one.
 */
export async function releaseBackend(): Promise<void> {
  if (tf.findBackend('wasm') !== null) (await import('./wasm-threads.ts')).releaseWasmBackend();
}

/** Tries every backend without changing the active one (except to restore it). */
export async function probeBackends(): Promise<BackendProbe[]> {
  const active = tf.getBackend();
  const probes: BackendProbe[] = [];
  for (const name of BACKEND_NAMES) {
    const loads = await activate(name);
    probes.push(loads ? { name, loads } : { name, loads, reason: loadErrors.get(name) ?? 'failed' });
  }
  if (active) await tf.setBackend(active);
  return probes;
}

/** Parses a --backend value. */
export function parseBackendName(value: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new WeightscapeError(
    'bad-argument',
    `--backend: unknown backend '${value}' (expected one of ${BACKEND_NAMES.join(', ')})`,
  );
}
