/**
 * TF.js weights: a model.json whose weightsManifest lists groups of binary shards (paths relative
 * to the manifest) and, per weight, name, shape and dtype (float32 or int32, unquantized).
 * Tensors are in TF.js layout (HWIO convolutions, in×out dense kernels).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import { contiguousStrides, decodeStrided, type HostTensor } from './host-tensor.ts';

/** Manifests beyond this size are not model.json files. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

export function isTfjsManifest(text: string): boolean {
  return /"weightsManifest"/.test(text);
}

export function readTfjsWeights(manifestPath: string): Map<string, HostTensor> {
  const fail = (problem: string): never => {
    throw new WeightscapeError('bad-file', `${manifestPath}: not a valid TF.js weights manifest: ${problem}`);
  };
  if (statSync(manifestPath).size > MAX_MANIFEST_BYTES) fail(`larger than ${MAX_MANIFEST_BYTES} bytes`);
  let manifest: { weightsManifest?: Array<{ paths?: unknown; weights?: unknown }> };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(manifest!.weightsManifest)) fail('no weightsManifest array');
  const tensors = new Map<string, HostTensor>();
  for (const group of manifest!.weightsManifest!) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) fail('a group without paths or weights');
    const shards = (group.paths as unknown[]).map((path) => {
      if (typeof path !== 'string' || path.includes('..')) fail(`shard path ${JSON.stringify(path)} is not a plain relative path`);
      return readFileSync(join(dirname(manifestPath), path as string));
    });
    const buffer = new Uint8Array(Buffer.concat(shards));
    let offset = 0;
    for (const weight of group.weights as ManifestWeight[]) {
      if (weight.quantization !== undefined) fail(`weight '${weight.name}' is quantized, which is not supported`);
      if (weight.dtype !== 'float32' && weight.dtype !== 'int32') fail(`weight '${weight.name}' has dtype ${weight.dtype}`);
      if (!Array.isArray(weight.shape) || !weight.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`weight '${weight.name}' has an invalid shape`);
      const count = weight.shape.reduce((a, b) => a * b, 1);
      const length = count * 4;
      if (offset + length > buffer.byteLength) fail(`weight '${weight.name}' needs bytes up to ${offset + length} but the shards hold ${buffer.byteLength}`);
      const bytes = buffer.subarray(offset, offset + length);
      tensors.set(weight.name, decodeStrided(bytes, weight.dtype === 'float32' ? 'F32' : 'I32', weight.shape, contiguousStrides(weight.shape), 0, `${manifestPath} (${weight.name})`));
      offset += length;
    }
    if (offset !== buffer.byteLength) fail(`shards hold ${buffer.byteLength} bytes but the weights use ${offset}`);
  }
  return tensors;
}
