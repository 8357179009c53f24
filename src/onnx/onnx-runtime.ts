/**
 * onnxruntime-node, loaded lazily (an optional dependency) and driven synchronously: its native
 * binding runs a session synchronously (the public API only wraps that call in a Promise), and
 * weightscape's attack and training loops are synchronous tfjs code. The binding is not public
 * API, so the version is pinned in package.json and checked here.
 */
import { createRequire } from 'node:module';

export const SUPPORTED_ORT_VERSION = '1.30.0';

export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
  readonly type: string;
}

interface BindingSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  endProfiling(): void;
  dispose(): void;
}

interface OrtModule {
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
  env: { versions: { node?: string }; logLevel?: string };
}

interface BindingModule {
  binding: { InferenceSession: new () => BindingSession };
  initOrt(): void;
}

export interface OnnxRuntime {
  version: string;
  threads: number;
  session(model: Uint8Array, options?: SessionOptions): OnnxSession;
}

export interface SessionOptions {
  /**
   * Whether the session keeps its own memory arena (default true). Each session's arena grows in
   * powers of two to its peak and keeps it; a session that runs rarely and holds little between
   * runs (the weight preparation: once per set of weights) costs less without one, its tensors
   * then allocated and freed per run.
   */
  arena?: boolean;
}

export interface OnnxSession {
  /** Runs the graph on the feeds; returns the named outputs' data. */
  run(
    feeds: Record<string, { data: Float32Array; dims: readonly number[] }>,
    outputs: string[],
  ): Record<string, Float32Array>;
  dispose(): void;
}

/** WEIGHTSCAPE_ORT_PROFILE=<prefix>: onnxruntime writes a per-node profile of each session (on dispose). */
const profilePrefix = process.env.WEIGHTSCAPE_ORT_PROFILE || undefined;

interface Internals {
  ort: OrtModule;
  bindingModule: BindingModule;
  version: string;
}

let internals: Internals | undefined;
let loaded: OnnxRuntime | undefined;
let loadError: string | undefined;

/** onnxruntime with `threads` intra-op threads, or the reason it cannot be used. */
export function loadOnnxRuntime(threads: number): OnnxRuntime | string {
  if (internals !== undefined) {
    if (loaded?.threads !== threads) loaded = makeRuntime(internals, threads);
    return loaded;
  }
  if (loadError !== undefined) return loadError;
  try {
    const require = createRequire(import.meta.url);
    const ort = require('onnxruntime-node') as OrtModule;
    const version = ort.env.versions.node ?? 'unknown';
    if (version !== SUPPORTED_ORT_VERSION)
      return (loadError = `onnxruntime-node ${version} is installed; weightscape drives ${SUPPORTED_ORT_VERSION}'s binding`);
    const bindingModule = require('onnxruntime-node/dist/binding.js') as BindingModule;
    // Warnings (unused constants the graph optimizer drops) are not the user's concern.
    ort.env.logLevel = 'error';
    bindingModule.initOrt();
    internals = { ort, bindingModule, version };
    loaded = makeRuntime(internals, threads);
    return loaded;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return (loadError = /Cannot find module/.test(message) ? 'onnxruntime-node is not installed' : message);
  }
}

function makeRuntime({ ort, bindingModule, version }: Internals, threads: number): OnnxRuntime {
  return {
    version,
    threads,
    session(model: Uint8Array, { arena = true }: SessionOptions = {}): OnnxSession {
      const session = new bindingModule.binding.InferenceSession();
      session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
        // With memory patterns on, a session's second run is as slow as its first (~3× a later one).
        enableMemPattern: false,
        enableCpuMemArena: arena,
        // Pool threads spin within a run (fast hand-offs between nodes) but not after it: the tfjs
        // backend's own threads run between calls.
        extra: { 'session.intra_op.allow_spinning': '1', 'session.force_spinning_stop': '1' },
        ...(profilePrefix === undefined ? {} : { enableProfiling: true, profileFilePrefix: profilePrefix }),
      });
      return {
        run(feeds, outputs) {
          const ortFeeds = Object.fromEntries(
            Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor('float32', t.data, t.dims)]),
          );
          const result = session.run(ortFeeds, Object.fromEntries(outputs.map((o) => [o, null])), {});
          return Object.fromEntries(outputs.map((o) => [o, result[o]!.data as Float32Array]));
        },
        dispose: () => {
          if (profilePrefix !== undefined) session.endProfiling();
          session.dispose();
        },
      };
    },
  };
}
