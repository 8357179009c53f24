/** What every command gets from the global flags: the active backend and engine, the seed, the streams. */
import type { Command } from 'commander';
import os from 'node:os';
import { MAX_WASM_THREADS } from '../src/backend/wasm-threads.ts';
import { releaseBackend, selectBackend, type BackendInfo } from '../src/backend/select-backend.ts';
import { releaseEngine } from '../src/models/engine-registry.ts';
import type { Engine } from '../src/models/model-function.ts';
import { selectEngine } from '../src/onnx/select-engine.ts';
import { globalOptionsSchema, type GlobalOptions } from './options.ts';

export interface CommandContext {
  options: GlobalOptions;
  /** The tfjs backend and the engine's record: what every result records. */
  backend: BackendInfo;
  /** The engine every computation of this command runs on (chosen here, once). */
  engine: Engine;
  /** Results and tables. */
  stdout: (text: string) => void;
  /** Progress and messages. */
  stderr: (text: string) => void;
}

/** One WASM thread per core, at most the pool emscripten pre-creates. */
export function defaultWasmThreads(): number {
  return Math.min(os.cpus().length, MAX_WASM_THREADS);
}

export function globalOptions(command: Command): GlobalOptions {
  return globalOptionsSchema.parse(command.optsWithGlobals());
}

/** Parses the global flags, starts the backend they ask for and puts the engine in use. */
export async function createContext(command: Command): Promise<CommandContext> {
  const options = globalOptions(command);
  const threads = options.threads ?? defaultWasmThreads();
  const tfjsBackend = await selectBackend(options.backend, { wasmThreads: threads });
  const engine = selectEngine(tfjsBackend.name, { onnxruntime: options.onnxruntime, threads });
  return {
    options,
    backend: { ...tfjsBackend, ...engine.record },
    engine,
    stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

/** Frees the engine's sessions and the WASM backend's threads (which keep the process alive). */
export async function releaseContext(): Promise<void> {
  releaseEngine();
  await releaseBackend();
}
