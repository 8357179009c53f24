/**
 * onnx: a CNN imported from an ONNX file (torch.onnx.export), as an architecture like the others.
 * Its configuration stays JSON ({ file, sha256 }); the graph is read from the file when the model
 * is first bound, translated into vocabulary steps once and kept by (path, SHA-256), so that a
 * file changed since the configuration was made is refused instead of silently used.
 */
import { resolve } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import { runNetwork } from '../models/forward-context.ts';
import type { Layers } from '../models/layers.ts';
import { rejectUnknown } from '../models/options.ts';
import { CIFAR_INPUT, type Architecture, type InputSpec } from '../models/types.ts';
import { readOnnxModel, type OnnxGraph } from './read-onnx-model.ts';
import { translateGraph, type OnnxProgram } from './translate-graph.ts';

export interface OnnxOptions {
  /** The path as the user gave it (results record it). */
  file: string;
  sha256: string;
}

const programs = new Map<string, OnnxProgram>();

const key = (file: string, sha256: string) => `${resolve(file)}\n${sha256}`;

/** Reads and translates `file` (refused when `sha256` is given and the file's differs); the program is kept. */
export function loadOnnxProgram(file: string, sha256?: string): { program: OnnxProgram; sha256: string } {
  if (sha256 !== undefined) {
    const kept = programs.get(key(file, sha256));
    if (kept !== undefined) return { program: kept, sha256 };
  }
  const graph = readOnnxModel(file);
  if (sha256 !== undefined && graph.sha256 !== sha256)
    throw new WeightscapeError(
      'bad-file',
      `${file}: the ONNX file changed (SHA-256 ${graph.sha256}, the model configuration says ${sha256})`,
    );
  const program = translateGraph(graph);
  programs.set(key(file, graph.sha256), program);
  return { program, sha256: graph.sha256 };
}

/** The translated graph of a graph already read (the checkpoint loader reads the file once for both). */
export function keepProgram(graph: OnnxGraph): OnnxProgram {
  const kept = programs.get(key(graph.path, graph.sha256));
  if (kept !== undefined) return kept;
  const program = translateGraph(graph);
  programs.set(key(graph.path, graph.sha256), program);
  return program;
}

function programOf(options: OnnxOptions): OnnxProgram {
  return loadOnnxProgram(options.file, options.sha256).program;
}

/** What the graph fixes of the model: its image shape and class count. */
export function onnxShape(options: OnnxOptions): { input: InputSpec; classes: number; source: string } {
  const { input, classes } = programOf(options);
  return { input, classes, source: options.file };
}

/** Runs the steps of a program in the layer vocabulary. */
export function runProgram<T>(program: OnnxProgram, net: Layers<T>, x: T): T {
  const values = new Map<string, T>([[program.inputName, x]]);
  const get = (name: string) => values.get(name)!;
  for (const step of program.steps) {
    let y: T;
    switch (step.op) {
      case 'conv':
        y = net.conv(step.prefix, get(step.input), step.stride, step.padding, step.bias, step.groups);
        break;
      case 'linear':
        y = net.linear(step.prefix, get(step.input), step.bias);
        break;
      case 'batchNorm':
        y = net.batchNorm(step.prefix, get(step.input));
        break;
      case 'relu':
        y = net.relu(get(step.input));
        break;
      case 'sigmoid':
        y = net.sigmoid(get(step.input));
        break;
      case 'leakyRelu':
        y = net.leakyRelu(get(step.input), step.alpha);
        break;
      case 'clip':
        y = net.clip(get(step.input), step.min, step.max);
        break;
      case 'flatten':
        y = net.flatten(get(step.input));
        break;
      case 'globalAvgPool':
        y = net.globalAvgPool(get(step.input));
        break;
      case 'identity':
        y = get(step.input);
        break;
      case 'dropout':
        y = net.dropout(get(step.input), step.rate);
        break;
      case 'maxPool':
        y = net.maxPool(get(step.input), step.size, step.stride, step.padding);
        break;
      case 'avgPool':
        y = net.avgPool(get(step.input), step.size, step.stride, step.padding);
        break;
      case 'add':
        y = net.add(get(step.inputs[0]), get(step.inputs[1]));
        break;
      case 'mul':
        y = net.mul(get(step.inputs[0]), get(step.inputs[1]));
        break;
      case 'concat':
        y = net.concat(step.inputs.map(get));
        break;
    }
    values.set(step.output, y);
  }
  return get(program.output);
}

export const onnxArchitecture: Architecture<OnnxOptions> = {
  name: 'onnx',
  description: 'a CNN imported from an ONNX file (--model model.onnx)',
  defaultInput: CIFAR_INPUT,
  candidates: () => [],
  parseOptions(raw) {
    rejectUnknown('onnx', raw, ['file', 'sha256']);
    const { file, sha256 } = raw;
    if (typeof file !== 'string' || file === '')
      throw new WeightscapeError('bad-argument', 'onnx: the model file is missing (pass --model model.onnx)');
    if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)))
      throw new WeightscapeError('bad-argument', `onnx: option 'sha256' must be a SHA-256 in hex`);
    return { file, sha256: loadOnnxProgram(file, sha256).sha256 };
  },
  shape: (options) => onnxShape(options),
  tensorSpecs: (config) => programOf(config.options).specs,
  network(net, x, config) {
    return runProgram(programOf(config.options), net, net.normalizeInput(x, config.normalization));
  },
  forward(weights, x, config, options) {
    return runNetwork(onnxArchitecture, weights, x, config, options);
  },
};
