/**
 * TF.js weights: a model.json whose weightsManifest lists groups of binary shards (paths relative
 * to the manifest) and, per weight, name, shape and dtype (float32 or int32, unquantized).
 * Tensors are in TF.js layout (HWIO convolutions, in×out dense kernels).
 */
import { dirname, join } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import { contiguousStrides, decodeStrided, type HostTensor } from './host-tensor.ts';
import { readInputFile } from './read-input-file.ts';
import { TensorBudget, valueCount } from './tensor-budget.ts';

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

/** Reads every weight of a model.json's shards, counting them against `budget` before decoding. */
export function readTfjsWeights(
  manifestPath: string,
  budget = new TensorBudget(manifestPath),
): Map<string, HostTensor> {
  const fail = (problem: string): never => {
    throw new WeightscapeError('bad-file', `${manifestPath}: not a valid TF.js weights manifest: ${problem}`);
  };
  const manifestBytes = readInputFile(manifestPath, 'a TF.js model.json');
  if (manifestBytes.byteLength > MAX_MANIFEST_BYTES) fail(`larger than ${MAX_MANIFEST_BYTES} bytes`);
  let manifest: { weightsManifest?: unknown };
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch (error) {
    fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (manifest! === null || typeof manifest! !== 'object' || !Array.isArray(manifest!.weightsManifest))
    fail('no weightsManifest array');
  const tensors = new Map<string, HostTensor>();
  for (const group of manifest!.weightsManifest as unknown[]) {
    const { paths, weights } = (isObject(group) ? group : {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !Array.isArray(weights)) fail('a group without paths or weights');
    const shards = (paths as unknown[]).map((path) => {
      if (typeof path !== 'string' || path.includes('..'))
        fail(`shard path ${JSON.stringify(path)} is not a plain relative path`);
      return readInputFile(join(dirname(manifestPath), path as string), `a weights shard of ${manifestPath}`);
    });
    const buffer = new Uint8Array(Buffer.concat(shards));
    let offset = 0;
    for (const weight of weights as unknown[]) {
      if (!isObject(weight) || typeof weight.name !== 'string') fail('a weight without a name');
      const { name, shape, dtype, quantization } = weight as unknown as ManifestWeight;
      if (quantization !== undefined) fail(`weight '${name}' is quantized, which is not supported`);
      if (dtype !== 'float32' && dtype !== 'int32') fail(`weight '${name}' has dtype ${JSON.stringify(dtype)}`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
        fail(`weight '${name}' has an invalid shape`);
      // Bytes the shape needs, exactly: a huge shape must not wrap into a small length.
      const length = valueCount(shape) * 4n;
      if (BigInt(offset) + length > BigInt(buffer.byteLength))
        fail(`weight '${name}' needs bytes up to ${BigInt(offset) + length} but the shards hold ${buffer.byteLength}`);
      budget.claim(name, shape);
      const bytes = buffer.subarray(offset, offset + Number(length));
      tensors.set(
        name,
        decodeStrided(
          bytes,
          dtype === 'float32' ? 'F32' : 'I32',
          shape,
          contiguousStrides(shape),
          0,
          `${manifestPath} (${name})`,
        ),
      );
      offset += Number(length);
    }
    if (offset !== buffer.byteLength) fail(`shards hold ${buffer.byteLength} bytes but the weights use ${offset}`);
  }
  return tensors;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
