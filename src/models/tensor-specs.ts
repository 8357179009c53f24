/** Tensor specs of the layer types, in PyTorch's state_dict names and layouts. */
import type { TensorSpec } from './types.ts';

export function convSpecs(
  prefix: string,
  outChannels: number,
  inChannels: number,
  kernel: number,
  bias: boolean,
  groups = 1,
): TensorSpec[] {
  const specs: TensorSpec[] = [
    { name: `${prefix}.weight`, shape: [outChannels, inChannels / groups, kernel, kernel], role: 'conv-weight' },
  ];
  if (bias) specs.push({ name: `${prefix}.bias`, shape: [outChannels], role: 'bias' });
  return specs;
}

export function linearSpecs(prefix: string, outFeatures: number, inFeatures: number, bias = true): TensorSpec[] {
  const specs: TensorSpec[] = [{ name: `${prefix}.weight`, shape: [outFeatures, inFeatures], role: 'linear-weight' }];
  if (bias) specs.push({ name: `${prefix}.bias`, shape: [outFeatures], role: 'bias' });
  return specs;
}

export function batchNormSpecs(prefix: string, channels: number): TensorSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [channels], role: 'bn-weight' },
    { name: `${prefix}.bias`, shape: [channels], role: 'bn-bias' },
    { name: `${prefix}.running_mean`, shape: [channels], role: 'bn-running-mean' },
    { name: `${prefix}.running_var`, shape: [channels], role: 'bn-running-var' },
    { name: `${prefix}.num_batches_tracked`, shape: [], role: 'bn-count' },
  ];
}
