/** What every command gets from the global flags: the active backend, the seed, the streams. */
import type { Command } from 'commander';
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

export function globalOptions(command: Command): GlobalOptions {
  return globalOptionsSchema.parse(command.optsWithGlobals());
}

/** Parses the global flags and starts the backend they ask for. */
export async function createContext(command: Command): Promise<CommandContext> {
  const options = globalOptions(command);
  const backend = await selectBackend(options.backend);
  return {
    options,
    backend,
    stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}
