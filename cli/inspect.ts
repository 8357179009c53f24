/** `weightscape inspect <checkpoint>`: every tensor, the format, the architecture, the metadata. */
import { Command } from 'commander';
import { detectArchitecture } from '../src/checkpoints/detect-architecture.ts';
import { loadCheckpoint } from '../src/checkpoints/load-checkpoint.ts';
import { WeightscapeError } from '../src/errors.ts';
import { printable, printableJson } from '../src/escape-text.ts';
import { describeOnnx, type OnnxDescription } from '../src/onnx-import/describe-onnx.ts';
import { isOnnxPath } from '../src/onnx-import/onnx-checkpoint.ts';
import { globalOptions } from './context.ts';

const FORMAT_NAMES = {
  'pytorch-zip': 'PyTorch zip checkpoint',
  safetensors: 'safetensors',
  tfjs: 'TF.js weights manifest',
  onnx: 'ONNX model',
};

/** An ONNX model's lines: operators, support, parameters (names from the file, escaped). */
function onnxLines(d: OnnxDescription): string[] {
  const { channels, height, width } = d.input;
  return [
    `${printable(d.path)}: ONNX model, opset ${d.opset}, ${d.nodes} nodes, ${printable(d.producer || 'unknown producer')}`,
    `sha256 ${d.sha256}`,
    `input ${printable(d.input.name)}: N×${channels}×${height}×${width}${d.classes === null ? '' : `, ${d.classes} classes`}`,
    `operators: ${d.operators.map((o) => `${printable(o.opType)} ×${o.count}`).join(', ')}`,
    d.problem === null ? 'supported: every node (load it with --model)' : `not supported: ${printable(d.problem)}`,
    ...d.unsupported.map(
      (u) => `unsupported operator ${printable(u.opType)} ×${u.count} (first at node '${printable(u.node)}')`,
    ),
    d.parameters === null
      ? `${d.tensors.length} float initializers`
      : `${d.tensors.length} tensors, ${d.parameters.toLocaleString('en-US')} trainable parameters`,
    '',
    ...d.tensors.map(
      (t) =>
        `${printable(t.name).padEnd(48)} ${`[${t.shape.join(', ')}]`.padEnd(20)} ${(t.role ?? '').padEnd(16)} ${t.elements}`,
    ),
  ];
}

/** The metadata's `options` entry, which must be JSON. */
function metadataOptions(path: string, text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '{}');
  } catch {
    throw new WeightscapeError('bad-file', `${path}: metadata 'options' is not JSON`);
  }
}

export function inspectCommand(): Command {
  return new Command('inspect')
    .description(
      'list the tensors of a checkpoint (.pt/.pth, .safetensors, TF.js model.json) and its architecture, ' +
        'or the operators and parameters of an ONNX model',
    )
    .argument('<checkpoint>', 'checkpoint file')
    .option('--json', 'machine-readable output')
    .action((path: string, options: { json?: boolean }, command: Command) => {
      globalOptions(command);
      if (isOnnxPath(path)) {
        const description = describeOnnx(path);
        const text = options.json ? JSON.stringify(description, null, 2) : onnxLines(description).join('\n');
        process.stdout.write(`${options.json ? printableJson(text) : text}\n`);
        return;
      }
      const checkpoint = loadCheckpoint(path);
      const detected =
        checkpoint.metadata.arch !== undefined
          ? {
              arch: checkpoint.metadata.arch,
              options: metadataOptions(path, checkpoint.metadata.options),
              source: 'metadata',
            }
          : (() => {
              const d = detectArchitecture(checkpoint.tensors);
              return d === undefined
                ? undefined
                : { arch: d.arch, options: d.options, classes: d.classes, source: 'detected from the tensors' };
            })();
      const tensors = [...checkpoint.tensors].map(([name, t]) => ({
        name,
        shape: t.shape,
        dtype: t.dtype,
        elements: t.values.length,
      }));
      if (options.json) {
        const { format, layout, sha256, metadata, notes } = checkpoint;
        const json = { path, format, layout, sha256, architecture: detected ?? null, metadata, notes, tensors };
        process.stdout.write(`${printableJson(JSON.stringify(json, null, 2))}\n`);
        return;
      }
      const total = tensors.reduce((a, t) => a + t.elements, 0);
      // Names, keys and metadata come from the file: escaped, so that they cannot drive the terminal.
      const lines = [
        `${printable(path)}: ${FORMAT_NAMES[checkpoint.format]}, ${tensors.length} tensors, ${total.toLocaleString('en-US')} values`,
        `sha256 ${checkpoint.sha256}`,
        `architecture: ${
          detected === undefined
            ? 'not recognized (pass --arch to commands that load it)'
            : printable(`${detected.arch} ${JSON.stringify(detected.options)} (${detected.source})`)
        }`,
        ...checkpoint.notes.map((n) => `note: ${printable(n)}`),
        ...Object.entries(checkpoint.metadata).map(([k, v]) => `metadata ${printable(k)}: ${printable(v)}`),
        '',
        ...tensors.map(
          (t) =>
            `${printable(t.name).padEnd(48)} ${`[${t.shape.join(', ')}]`.padEnd(20)} ${t.dtype.padEnd(8)} ${t.elements}`,
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
