/**
 * Identity on WASM without a copy. tfjs clones every tensor a gradient keeps for the backward
 * pass (engine.saveTensorsForBackwardMode), and tfjs-backend-wasm's Identity copies the data
 * (dozens of copies of the largest activations per attack step). Tensors are immutable,
 * so the clone can share the buffer with one more reference, as the cpu backend does.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

interface WasmDataMap {
  dataIdMap: { get(dataId: object): { refCount: number } | undefined };
}

function sharedIdentity({ inputs, backend }: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const { x } = inputs as { x: TensorInfo };
  const data = (backend as WasmDataMap).dataIdMap.get(x.dataId);
  if (data === undefined) throw new Error('Identity: the input tensor is not on the wasm backend');
  data.refCount++;
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const sharedIdentityKernel: KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: sharedIdentity as KernelConfig['kernelFunc'],
};
