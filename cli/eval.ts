/** `weightscape eval`: clean loss and accuracy of a checkpoint on a data set. */
import { Command } from 'commander';
import { evaluateCheckpoint } from '../src/eval/evaluate-checkpoint.ts';
import { WeightscapeError } from '../src/errors.ts';
import { createContext } from './context.ts';
import { addModelOptions, modelRequest, type ModelFlags } from './model-options.ts';
import { progressLine, writeOutput } from './output.ts';

interface EvalFlags extends ModelFlags {
  checkpoint: string;
  data: string;
  batchSize: string;
  json?: boolean;
  out?: string;
}

export function evalCommand(): Command {
  return addModelOptions(new Command('eval')
    .description('clean loss and accuracy of a checkpoint on a data set')
    .requiredOption('--checkpoint <file>', 'checkpoint (.pt/.pth, .safetensors, TF.js model.json)')
    .requiredOption('--data <spec>', 'data: npy:<images.npy>,<labels.npy>')
    .option('--batch-size <n>', 'images per forward pass', '256')
    .option('--json', 'print the result as JSON')
    .option('--out <file>', 'also write the JSON result here (atomically)'))
    .action(async (flags: EvalFlags, command: Command) => {
      const context = await createContext(command);
      const batchSize = Number(flags.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new WeightscapeError('bad-argument', `--batch-size: expected a positive integer (got '${flags.batchSize}')`);
      const result = evaluateCheckpoint({
        checkpoint: flags.checkpoint, data: flags.data, model: modelRequest(flags), batchSize,
        backend: context.backend, seed: context.options.seed, onProgress: progressLine('eval'),
      });
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (flags.out !== undefined) writeOutput(flags.out, json, [flags.checkpoint, ...flags.data.replace(/^[a-z0-9-]+:/, '').split(',')]);
      if (flags.json) {
        context.stdout(json);
        return;
      }
      for (const note of result.notes) context.stderr(`note: ${note}`);
      context.stdout([
        `${result.model.arch} ${JSON.stringify(result.model.options)} on ${result.provenance.data!.spec} (${result.clean.count} images, ${context.backend.name})`,
        `clean loss ${result.clean.loss.toFixed(4)}  accuracy ${(100 * result.clean.accuracy).toFixed(2)}%`,
      ].join('\n'));
    });
}
