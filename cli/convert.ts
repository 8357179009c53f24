/** `weightscape convert`: any supported checkpoint → weightscape's native safetensors. */
import { Command } from 'commander';
import { loadCheckpoint } from '../src/checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../src/checkpoints/map-to-model.ts';
import { resolveOrDetectModelConfig } from '../src/checkpoints/model-config.ts';
import { serializeNativeCheckpoint } from '../src/checkpoints/native-checkpoint.ts';
import { createContext } from './context.ts';
import { addModelOptions, modelRequest, type ModelFlags } from './model-options.ts';
import { claimOutputs, writeOutput } from './output.ts';

export function convertCommand(): Command {
  return addModelOptions(
    new Command('convert')
      .description(
        "write a checkpoint as weightscape's native safetensors (PyTorch layout, architecture in the metadata)",
      )
      .argument('<checkpoint>', 'checkpoint to read (.pt/.pth, .safetensors, TF.js model.json)')
      .requiredOption('--out <file>', 'the .safetensors file to write'),
  ).action(async (path: string, flags: ModelFlags & { out: string }, command: Command) => {
    claimOutputs('convert', [{ flag: '--out', path: flags.out, kind: 'file' }]);
    const context = await createContext(command);
    const checkpoint = loadCheckpoint(path);
    const detectionNotes: string[] = [];
    const config = resolveOrDetectModelConfig(checkpoint, modelRequest(flags), detectionNotes);
    const { weights, notes } = checkpointToWeights(checkpoint, config);
    try {
      writeOutput(
        flags.out,
        serializeNativeCheckpoint(weights, config, {
          convertedFrom: { path, sha256: checkpoint.sha256, format: checkpoint.format },
        }),
        [path],
      );
    } finally {
      disposeWeights(weights);
    }
    for (const note of [...checkpoint.notes, ...detectionNotes, ...notes]) context.stderr(`note: ${note}`);
    context.stdout(`wrote ${flags.out}: ${config.arch} ${JSON.stringify(config.options)}`);
  });
}
