/** What every command gets from the global flags: the active backend, the seed, the streams. */
import type { Command } from 'commander';
import os from 'node:os';
import { MAX_WASM_THREADS } from '../src/backend/wasm-threads.ts';
import { selectBackend, type BackendInfo } from '../src/backend/select-backend.ts';
import { globalOptionsSchema, type GlobalOptions } from './options.ts';

export interface CommandContext {
  options: GlobalOptions;
  backend: BackendInfo;
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

/** Parses the global flags and starts the backend they ask for. */
export async function createContext(command: Command): Promise<CommandContext> {
  const options = globalOptions(command);
  const backend = await selectBackend(options.backend, { wasmThreads: options.threads ?? defaultWasmThreads(), onnxruntime: options.onnxruntime });
  return {
    options,
    backend,
    stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}
