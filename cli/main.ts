/** The weightscape command line: global flags, one subcommand per file, one error handler. */
import { Command, Option } from 'commander';
import { BACKEND_NAMES } from '../src/backend/select-backend.ts';
import { backendCommand } from './backend.ts';
import { convertCommand } from './convert.ts';
import { evalCommand } from './eval.ts';
import { inspectCommand } from './inspect.ts';
import { trainCommand } from './train.ts';
import { sampleCommand } from './sample.ts';
import { mergeCommand } from './merge.ts';
import { flatnessCommand } from './flatness.ts';
import { hessianCommand } from './hessian.ts';
import { checkCommand } from './check.ts';
import { correlateCommand } from './correlate.ts';
import { studyCommand } from './study.ts';
import { reportCommand } from './report.ts';
import { demoCommand } from './demo.ts';
import { releaseContext } from './context.ts';
import { EXIT_OK, handleError } from './handle-error.ts';
import { releaseOutputLocks } from '../src/results/output-lock.ts';
import { TOOL_VERSION } from '../src/package-root.ts';
import { globalOptionsSchema } from './options.ts';
import { MAX_TENSOR_BYTES_ENV } from '../src/checkpoints/tensor-budget.ts';

export function buildProgram(): Command {
  const program = new Command('weightscape')
    .description(
      'Weight loss landscapes of adversarially trained networks: flatness, robust generalization gaps, reports.',
    )
    .version(TOOL_VERSION)
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend (default: the best that loads)').choices(BACKEND_NAMES),
    )
    .option('--threads <n>', 'threads of the wasm backend (default: one per core, at most 8)')
    .option(
      '--no-onnxruntime',
      'run everything on the TensorFlow.js backend (by default attacks, logits and training gradients run in ' +
        'onnxruntime when it is installed and the backend is wasm or cpu)',
    )
    .option('--seed <n>', 'seed for every random choice', '0')
    .option(
      '--max-tensor-bytes <n>',
      `most bytes of tensor values one checkpoint or data file may decode to (default 4 GiB, or ${MAX_TENSOR_BYTES_ENV})`,
    )
    .option('--debug', 'print stack traces with errors')
    .hook('preAction', (_program, action) => {
      // The environment carries the limit to every loader, worker threads included.
      const { maxTensorBytes } = globalOptionsSchema.parse(action.optsWithGlobals());
      if (maxTensorBytes !== undefined) process.env[MAX_TENSOR_BYTES_ENV] = String(maxTensorBytes);
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  for (const command of [
    demoCommand(),
    trainCommand(),
    evalCommand(),
    sampleCommand(),
    mergeCommand(),
    flatnessCommand(),
    hessianCommand(),
    reportCommand(),
    correlateCommand(),
    studyCommand(),
    checkCommand(),
    inspectCommand(),
    convertCommand(),
    backendCommand(),
  ]) {
    program.addCommand(command.exitOverride());
  }
  return program;
}

/** Runs the CLI on argv and returns the exit code (0, 1 for failures, 2 for bad input). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  releaseLocksOnExit();
  try {
    await program.parseAsync(argv);
    // A command may report a result-level failure (check: a regression) through process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    const debug = argv.includes('--debug');
    return handleError(error, debug, (line) => process.stderr.write(`${line}\n`));
  } finally {
    releaseOutputLocks();
    // The WASM backend's worker threads keep the event loop alive until it is released.
    await releaseContext();
  }
}

let exitHandlerInstalled = false;

/**
 * Output locks go with the process when it exits. No signal handlers: the compute is synchronous,
 * so a JS handler would delay Ctrl-C until the work ends; a killed process leaves a lock naming a
 * dead PID, which the next run detects and takes over.
 */
function releaseLocksOnExit(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', releaseOutputLocks);
}
