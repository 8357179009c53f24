/** The flags that describe a model, shared by the commands that load one. */
import { type Command, Option } from 'commander';
import { WeightscapeError } from '../src/errors.ts';
import type { ModelConfigRequest } from '../src/checkpoints/model-config.ts';
import { ARCHITECTURES } from '../src/models/registry.ts';

export interface ModelFlags {
  arch?: string;
  model?: string;
  width?: string;
  hidden?: string;
  depth?: string;
  widen?: string;
  stem?: string;
  dropout?: string;
  classes?: string;
  mean?: string;
  std?: string;
}

const ARCH_OPTION_FLAGS = ['width', 'hidden', 'depth', 'widen', 'stem', 'dropout'] as const;

export function addModelOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--arch <name>',
        'architecture (default: from the checkpoint metadata, or detected from its tensors)',
      ).choices(Object.keys(ARCHITECTURES)),
    )
    .option(
      '--model <file.onnx>',
      'a CNN exported by torch.onnx.export: the architecture, and the weights unless --checkpoint gives them',
    )
    .option('--width <n>', 'convnet/preact-resnet18/resnet: base channel count')
    .option('--hidden <sizes>', 'convnet: hidden units; mlp: comma-separated hidden layer sizes')
    .option('--depth <n>', 'wide-resnet: depth (6n + 4); resnet: 18, 34, 50, 101 or 152')
    .option('--widen <k>', 'wide-resnet: widen factor')
    .option('--stem <kind>', 'resnet: cifar (3×3 conv) or imagenet (7×7 stride-2 conv, 3×3 stride-2 max pool)')
    .option('--dropout <p>', 'convnet: dropout rate in training')
    .option('--classes <n>', 'number of classes (default: from the checkpoint, else 10)')
    .option('--mean <values>', 'input normalization mean per channel, comma-separated (default: none)')
    .option('--std <values>', 'input normalization std per channel, comma-separated');
}

function numbers(flag: string, text: string): number[] {
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isFinite(v)))
    throw new WeightscapeError('bad-argument', `--${flag}: expected comma-separated numbers (got '${text}')`);
  return values;
}

/** Only the flags the user gave become options, so that the architecture rejects foreign ones. */
export function modelRequest(flags: ModelFlags): ModelConfigRequest {
  const options: Record<string, unknown> = {};
  for (const key of ARCH_OPTION_FLAGS) if (flags[key] !== undefined) options[key] = flags[key];
  if (flags.model !== undefined) {
    // Checkpoint loading recognizes an ONNX file by its name (its bytes could pass for safetensors).
    if (!/\.onnx$/i.test(flags.model))
      throw new WeightscapeError('bad-argument', `--model ${flags.model}: expected an ONNX file named *.onnx`);
    if (flags.arch !== undefined && flags.arch !== 'onnx')
      throw new WeightscapeError('bad-argument', `--model and --arch ${flags.arch}: the ONNX file is the architecture`);
    options.file = flags.model;
  }
  const request: ModelConfigRequest = { arch: flags.model !== undefined ? 'onnx' : flags.arch, options };
  if (flags.classes !== undefined) {
    const classes = Number(flags.classes);
    if (!Number.isInteger(classes) || classes < 2)
      throw new WeightscapeError('bad-argument', `--classes: expected an integer ≥ 2 (got '${flags.classes}')`);
    request.classes = classes;
  }
  if ((flags.mean === undefined) !== (flags.std === undefined))
    throw new WeightscapeError('bad-argument', '--mean and --std go together');
  if (flags.mean !== undefined && flags.std !== undefined) {
    const mean = numbers('mean', flags.mean);
    const std = numbers('std', flags.std);
    if (mean.length !== std.length || std.some((s) => s <= 0))
      throw new WeightscapeError('bad-argument', '--mean and --std need the same number of values, std > 0');
    request.normalization = { mean, std };
  }
  return request;
}

/** The checkpoint to load: --checkpoint, else the --model file's own initializers. */
export function checkpointPath(flags: ModelFlags & { checkpoint?: string }): string {
  const path = flags.checkpoint ?? flags.model;
  if (path === undefined)
    throw new WeightscapeError(
      'bad-argument',
      '--checkpoint is required (or --model model.onnx, whose weights are used)',
    );
  return path;
}
