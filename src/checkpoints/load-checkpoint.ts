/**
 * Reads a checkpoint of any supported format into named host tensors (PyTorch names), with the
 * file's metadata, the notes a user should see, and its SHA-256 for provenance.
 */
import { createHash } from 'node:crypto';
import { WeightscapeError } from '../errors.ts';
import { printable } from '../escape-text.ts';
import { contiguousStrides, decodeStrided, type FileDtype, type HostTensor } from './host-tensor.ts';
import { PickledTensor, readPytorchCheckpoint } from './pytorch-checkpoint.ts';
import { parseSafetensors } from './safetensors.ts';
import { isTfjsManifest, readTfjsWeights } from './tfjs-weights.ts';
import { readInputFile } from './read-input-file.ts';
import { TensorBudget } from './tensor-budget.ts';
import { isZip } from './zip-archive.ts';
import { isOnnxPath, readOnnxCheckpoint } from '../onnx-import/onnx-checkpoint.ts';

export type CheckpointFormat = 'pytorch-zip' | 'safetensors' | 'tfjs' | 'onnx';

export interface LoadedCheckpoint {
  path: string;
  format: CheckpointFormat;
  /** 'pytorch': OIHW convolutions and out×in linear weights; 'tfjs': HWIO and in×out. */
  layout: 'pytorch' | 'tfjs';
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
  notes: string[];
  sha256: string;
}

/** Keys under which training scripts wrap a state dict. */
const WRAPPER_KEYS = ['state_dict', 'model', 'net', 'model_state_dict'];

/** The state dict inside a pickled object: the object itself, or one wrapped under a known key. */
function findStateDict(root: unknown, notes: string[], path: string): Map<unknown, unknown> {
  if (!(root instanceof Map))
    throw new WeightscapeError('bad-file', `${path}: the checkpoint holds no dict of tensors`);
  const holdsTensors = (m: Map<unknown, unknown>) => [...m.values()].some((v) => v instanceof PickledTensor);
  if (holdsTensors(root)) return root;
  for (const key of WRAPPER_KEYS) {
    const inner = root.get(key);
    if (inner instanceof Map && holdsTensors(inner)) {
      const others = [...root.keys()].filter((k) => k !== key).map(String);
      notes.push(
        printable(
          `state dict read from key '${key}'${others.length > 0 ? ` (also in the file: ${others.join(', ')})` : ''}`,
        ),
      );
      return inner;
    }
  }
  throw new WeightscapeError(
    'bad-file',
    `${path}: no state dict found (looked at the top level and under ${WRAPPER_KEYS.join(', ')})`,
  );
}

/** Strips DataParallel's `module.` prefix (from every key, or none). */
function stripModulePrefix(tensors: Map<string, HostTensor>, notes: string[]): Map<string, HostTensor> {
  const names = [...tensors.keys()];
  if (names.length === 0 || !names.every((n) => n.startsWith('module.'))) return tensors;
  notes.push("stripped the 'module.' prefix (a DataParallel checkpoint)");
  return new Map(names.map((n) => [n.slice('module.'.length), tensors.get(n)!]));
}

function fromPytorch(bytes: Uint8Array, path: string, notes: string[], budget: TensorBudget): Map<string, HostTensor> {
  const stateDict = findStateDict(readPytorchCheckpoint(bytes, path, budget.limit), notes, path);
  const tensors = new Map<string, HostTensor>();
  const skipped: string[] = [];
  for (const [key, value] of stateDict) {
    if (value instanceof PickledTensor) {
      budget.claim(String(key), value.shape);
      tensors.set(String(key), value.decode(path, String(key)));
    } else {
      skipped.push(String(key));
    }
  }
  // Notes are printed by every command: keys from the file are escaped here, once.
  if (skipped.length > 0) notes.push(printable(`skipped ${skipped.length} non-tensor entries: ${skipped.join(', ')}`));
  return tensors;
}

function fromSafetensors(
  bytes: Uint8Array,
  path: string,
  budget: TensorBudget,
): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const file = parseSafetensors(bytes, path);
  const tensors = new Map<string, HostTensor>();
  for (const [name, raw] of file.tensors) {
    budget.claim(name, raw.shape);
    tensors.set(
      name,
      decodeStrided(raw.bytes, raw.dtype as FileDtype, raw.shape, contiguousStrides(raw.shape), 0, `${path} (${name})`),
    );
  }
  return { tensors, metadata: file.metadata };
}

/** An 8-byte header length that fits the file, followed by the JSON header's '{'. */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 10) return false;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  return length > 0n && 8n + length <= BigInt(bytes.byteLength) && bytes[8] === 0x7b;
}

export interface LoadOptions {
  /** Limit on the decoded tensor bytes (default: WEIGHTSCAPE_MAX_TENSOR_BYTES, else 4 GiB). */
  maxTensorBytes?: number;
}

/** Reads a .pt/.pth (zip), .safetensors, or TF.js model.json checkpoint, or an .onnx model's parameters. */
export function loadCheckpoint(path: string, options: LoadOptions = {}): LoadedCheckpoint {
  if (isOnnxPath(path))
    return { path, format: 'onnx', layout: 'pytorch', ...readOnnxCheckpoint(path, options.maxTensorBytes) };
  const bytes = readInputFile(path);
  const budget = new TensorBudget(path, options.maxTensorBytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const notes: string[] = [];
  const head = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.byteLength, 4096)));
  if (isZip(bytes)) {
    const tensors = stripModulePrefix(fromPytorch(bytes, path, notes, budget), notes);
    return { path, format: 'pytorch-zip', layout: 'pytorch', tensors, metadata: {}, notes, sha256 };
  }
  if (head.trimStart().startsWith('{') && isTfjsManifest(head)) {
    return {
      path,
      format: 'tfjs',
      layout: 'tfjs',
      tensors: readTfjsWeights(path, budget),
      metadata: {},
      notes,
      sha256,
    };
  }
  // A legacy torch pickle starts with 0x80 (PROTO), but so does a safetensors file whose header
  // length has 0x80 as its low byte: only a file that cannot be safetensors is called legacy.
  // throws the legacy-format error
  if (bytes.byteLength > 1 && bytes[0] === 0x80 && !looksLikeSafetensors(bytes)) readPytorchCheckpoint(bytes, path);
  const { tensors, metadata } = fromSafetensors(bytes, path, budget);
  return {
    path,
    format: 'safetensors',
    layout: 'pytorch',
    tensors: stripModulePrefix(tensors, notes),
    metadata,
    notes,
    sha256,
  };
}
