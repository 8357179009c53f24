/** `weightscape inspect <checkpoint>`: every tensor, the format, the architecture, the metadata. */
import { Command } from 'commander';
import { detectArchitecture } from '../src/checkpoints/detect-architecture.ts';
import { loadCheckpoint } from '../src/checkpoints/load-checkpoint.ts';
import { globalOptions } from './context.ts';

const FORMAT_NAMES = { 'pytorch-zip': 'PyTorch zip checkpoint', safetensors: 'safetensors', tfjs: 'TF.js weights manifest' };

export function inspectCommand(): Command {
  return new Command('inspect')
    .description('list the tensors of a checkpoint (.pt/.pth, .safetensors, TF.js model.json) and its architecture')
    .argument('<checkpoint>', 'checkpoint file')
    .option('--json', 'machine-readable output')
    .action((path: string, options: { json?: boolean }, command: Command) => {
      globalOptions(command);
      const checkpoint = loadCheckpoint(path);
      const detected = checkpoint.metadata.arch !== undefined
        ? { arch: checkpoint.metadata.arch, options: JSON.parse(checkpoint.metadata.options ?? '{}') as unknown, source: 'metadata' }
        : (() => {
          const d = detectArchitecture(checkpoint.tensors);
          return d === undefined ? undefined : { arch: d.arch, options: d.options, classes: d.classes, source: 'detected from the tensors' };
        })();
      const tensors = [...checkpoint.tensors].map(([name, t]) => ({ name, shape: t.shape, dtype: t.dtype, elements: t.values.length }));
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ path, format: checkpoint.format, layout: checkpoint.layout, sha256: checkpoint.sha256, architecture: detected ?? null, metadata: checkpoint.metadata, notes: checkpoint.notes, tensors }, null, 2)}\n`);
        return;
      }
      const total = tensors.reduce((a, t) => a + t.elements, 0);
      const lines = [
        `${path}: ${FORMAT_NAMES[checkpoint.format]}, ${tensors.length} tensors, ${total.toLocaleString('en-US')} values`,
        `sha256 ${checkpoint.sha256}`,
        `architecture: ${detected === undefined ? 'not recognized (pass --arch to commands that load it)' : `${detected.arch} ${JSON.stringify(detected.options)} (${detected.source})`}`,
        ...checkpoint.notes.map((n) => `note: ${n}`),
        ...Object.entries(checkpoint.metadata).map(([k, v]) => `metadata ${k}: ${v}`),
        '',
        ...tensors.map((t) => `${t.name.padEnd(48)} ${`[${t.shape.join(', ')}]`.padEnd(20)} ${t.dtype.padEnd(8)} ${t.elements}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
