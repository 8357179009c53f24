/**
 * PyTorch checkpoints in the zip format (torch.save since 1.6): `<prefix>/data.pkl` pickles the
 * object, tensors point (by persistent id) at storages `<prefix>/data/<key>`. Only the globals a
 * tensor state dict needs are allowed.
 */
import { WeightscapeError } from '../errors.ts';
import { checkView, decodeStrided, FILE_DTYPE_BYTES, type FileDtype, type HostTensor } from './host-tensor.ts';
import { PickleTuple, unpickle, type AllowedGlobal } from './restricted-unpickler.ts';
import { resolveMaxTensorBytes } from './tensor-budget.ts';
import { isZip, readZipEntries } from './zip-archive.ts';

const STORAGE_DTYPES: Record<string, FileDtype> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

class Storage {
  constructor(
    readonly dtype: FileDtype,
    readonly bytes: Uint8Array,
    readonly key: string,
  ) {}
}

/**
 * A tensor from a pickle, its view already checked against its storage but not yet decoded: the
 * caller decodes it once it knows its name, after counting it against the file's budget.
 */
export class PickledTensor {
  constructor(
    private readonly storage: Storage,
    readonly shape: number[],
    private readonly strides: number[],
    private readonly offset: number,
  ) {}

  /** The values, as tensor `name` of file `source`. */
  decode(source: string, name: string): HostTensor {
    return decodeStrided(
      this.storage.bytes,
      this.storage.dtype,
      this.shape,
      this.strides,
      this.offset,
      `${source} (tensor '${name}')`,
    );
  }
}

function integers(value: unknown, what: string, source: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) {
    throw new WeightscapeError('bad-file', `${source}: tensor ${what} is not a tuple of non-negative integers`);
  }
  return Array.from(value as number[]);
}

function allowedGlobals(source: string): Map<string, AllowedGlobal> {
  const globals = new Map<string, AllowedGlobal>();
  globals.set('collections OrderedDict', () => new Map());
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  globals.set('torch._utils _rebuild_tensor_v2', (args) => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof Storage)) throw new WeightscapeError('bad-file', `${source}: tensor without a storage`);
    const shape = integers(size, 'size', source);
    const strides = integers(stride, 'stride', source);
    if (!Number.isSafeInteger(offset) || strides.length !== shape.length) {
      throw new WeightscapeError(
        'bad-file',
        `${source}: tensor on storage ${storage.key} has an inconsistent offset or stride`,
      );
    }
    // Checked now (nothing allocated), decoded later by name: a bad view fails at the pickle.
    checkView(
      storage.bytes.byteLength / FILE_DTYPE_BYTES[storage.dtype],
      shape,
      strides,
      offset as number,
      `${source} (storage ${storage.key})`,
    );
    return new PickledTensor(storage, shape, strides, offset as number);
  });
  // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): a Parameter is its data here.
  const parameter: AllowedGlobal = (args) => args[0];
  globals.set('torch._utils _rebuild_parameter', parameter);
  globals.set('torch._utils _rebuild_parameter_with_state', parameter);
  // Storage types are only named inside persistent ids (see storageDtype), never called.
  for (const name of Object.keys(STORAGE_DTYPES)) {
    globals.set(`torch ${name}`, () => {
      throw new WeightscapeError('bad-file', `${source}: pickle calls torch.${name}, which a state dict never does`);
    });
  }
  return globals;
}

/** Storage-type globals are referenced, not called: resolve the reference to its dtype. */
function storageDtype(reference: unknown, source: string): FileDtype {
  const name = (reference as { qualifiedName?: string } | undefined)?.qualifiedName?.replace(/^torch /, '');
  const dtype = name === undefined ? undefined : STORAGE_DTYPES[name];
  if (dtype === undefined)
    throw new WeightscapeError('bad-file', `${source}: persistent id names no known storage type`);
  return dtype;
}

/** Reads the object a .pt/.pth file holds; tensors come back as PickledTensor, dicts as Map. */
export function readPytorchCheckpoint(bytes: Uint8Array, source: string, maxTensorBytes?: number): unknown {
  if (!isZip(bytes)) {
    const legacy = bytes.byteLength > 2 && bytes[0] === 0x80;
    throw new WeightscapeError(
      'bad-file',
      legacy
        ? `${source}: PyTorch's legacy (pre-1.6) format is not supported; re-save it with torch.save in torch >= 1.6`
        : `${source}: not a PyTorch zip checkpoint`,
    );
  }
  const entries = readZipEntries(bytes, source, resolveMaxTensorBytes(maxTensorBytes));
  const pickleNames = [...entries.keys()].filter((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
  if (pickleNames.length !== 1)
    throw new WeightscapeError(
      'bad-file',
      `${source}: expected one data.pkl in the archive, found ${pickleNames.length}`,
    );
  const prefix = pickleNames[0]!.slice(0, -'data.pkl'.length);
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!(pid instanceof PickleTuple) || pid[0] !== 'storage' || typeof pid[2] !== 'string') {
      throw new WeightscapeError(
        'bad-file',
        `${source}: unsupported persistent id (only tensor storages are accepted)`,
      );
    }
    const key = pid[2];
    const cached = storages.get(key);
    if (cached !== undefined) return cached;
    const dtype = storageDtype(pid[1], source);
    const data = entries.get(`${prefix}data/${key}`);
    if (data === undefined)
      throw new WeightscapeError('bad-file', `${source}: storage ${key} is missing from the archive (truncated?)`);
    if (data.byteLength % FILE_DTYPE_BYTES[dtype] !== 0)
      throw new WeightscapeError(
        'bad-file',
        `${source}: storage ${key} has ${data.byteLength} bytes, not a whole number of ${dtype} elements`,
      );
    const storage = new Storage(dtype, data, key);
    storages.set(key, storage);
    return storage;
  };
  return unpickle(entries.get(pickleNames[0]!)!, { globals: allowedGlobals(source), persistentLoad, source });
}
