/** What every command gets from the global flags: the active backend and engine, the seed, the streams. */
import type { Command } from 'commander';
import type { BackendInfo } from '../src/backend/select-backend.ts';
import { activeEngine } from '../src/models/engine-registry.ts';
import type { Engine } from '../src/models/model-function.ts';
import { startEngine, stopEngine } from '../src/start-engine.ts';
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

export function globalOptions(command: Command): GlobalOptions {
  return globalOptionsSchema.parse(command.optsWithGlobals());
}

/** Parses the global flags, starts the backend they ask for and puts the engine in use. */
export async function createContext(command: Command): Promise<CommandContext> {
  const options = globalOptions(command);
  const backend = await startEngine({
    backend: options.backend,
    threads: options.threads,
    onnxruntime: options.onnxruntime,
  });
  return {
    options,
    backend,
    engine: activeEngine(),
    stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

/** Frees the engine's sessions and the WASM backend's threads (which keep the process alive). */
export async function releaseContext(): Promise<void> {
  await stopEngine();
}
