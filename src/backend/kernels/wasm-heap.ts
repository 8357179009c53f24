/**
 * What weightscape's own WASM kernels use of the tfjs WASM backend: outputs allocated in its
 * heap and typed-array views of its tensors (no copies). Views must be taken after every
 * allocation, since growing the heap can replace its buffer.
 */
import type { DataType, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/** What tfjs passes a kernel function: its inputs by name, the backend and the attributes. */
export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}

export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function float32View(backend: WasmHeapBackend, info: TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}
