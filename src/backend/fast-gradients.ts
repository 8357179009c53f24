/**
 * Installs weightscape's gradient formulas in the global tfjs gradient registry while the WASM
 * backend is active, and restores the defaults when another backend takes over.
 * The registry is global (not per backend), so the originals are kept to restore them.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';
import { conv2dGradConfig } from './gradients/conv2d-gradient.ts';
import { depthwiseConv2dGradConfig } from './gradients/depthwise-conv2d-gradient.ts';
import { matMulGradConfig } from './gradients/matmul-gradient.ts';
import { batchNormGradConfig } from './gradients/batch-norm-gradient.ts';
import { avgPoolGradConfig, maxPoolGradConfig } from './gradients/pooling-gradient.ts';
import { maxPoolFirstMaxGradKernel } from './kernels/max-pool-gradient-kernel.ts';
import { flipFilterKernel } from './kernels/flip-filter-kernel.ts';
import { sharedIdentityKernel } from './kernels/identity-kernel.ts';
import { batchNormTrainGradKernel, batchNormTrainKernel } from './kernels/batch-norm-train-kernel.ts';
import { batchNormTrainGradConfig } from './batch-norm-train.ts';
import { fusedBatchNormKernel } from './kernels/batch-norm-eval-kernel.ts';
import { phaseInterleaveKernel } from './kernels/phase-interleave-kernel.ts';

/** Each replacement gets the default it replaces, for the configurations it does not cover. */
const REPLACEMENTS: ReadonlyArray<[string, (fallback: GradConfig | undefined) => GradConfig]> = [
  [tf.Conv2D, conv2dGradConfig],
  [tf.DepthwiseConv2dNative, depthwiseConv2dGradConfig],
  [tf.BatchMatMul, matMulGradConfig],
  [tf.FusedBatchNorm, batchNormGradConfig],
  [tf.MaxPool, maxPoolGradConfig],
  [tf.AvgPool, avgPoolGradConfig],
];

/** The kernels whose gradients weightscape replaces on WASM. */
export const FAST_GRADIENT_KERNELS: readonly string[] = REPLACEMENTS.map(([name]) => name);

let originals: Map<string, GradConfig | undefined> | undefined;
/** tfjs wasm kernels weightscape has replaced (a replacement stays for the process). */
const replacedWasmKernels = new Set<string>();

/** Registers make(tfjs's wasm kernel) in its place, once. */
function replaceWasmKernel(kernelName: string, make: (original: tf.KernelConfig) => tf.KernelConfig): void {
  if (replacedWasmKernels.has(kernelName)) return;
  const original = tf.getKernel(kernelName, 'wasm');
  if (original === undefined) throw new Error(`the wasm backend has no ${kernelName} kernel`);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel(make(original));
  replacedWasmKernels.add(kernelName);
}

export function fastGradientsInstalled(): boolean {
  return originals !== undefined;
}

/** weightscape's own WASM kernels, which some of the formulas call. */
const WASM_KERNELS: readonly tf.KernelConfig[] = [
  maxPoolFirstMaxGradKernel,
  flipFilterKernel,
  batchNormTrainKernel,
  batchNormTrainGradKernel,
  phaseInterleaveKernel,
];

/** Registers the forward-kernel gradient formulas (idempotent). */
export function installFastGradients(): void {
  if (originals !== undefined) return;
  for (const kernel of WASM_KERNELS) {
    if (tf.getKernel(kernel.kernelName, kernel.backendName) === undefined) tf.registerKernel(kernel);
  }
  // weightscape's own kernel name: nothing to restore, it stays registered.
  if (tf.getGradient(batchNormTrainGradConfig.kernelName) === undefined) tf.registerGradient(batchNormTrainGradConfig);
  // Same results as tfjs's Identity, without the copy (only the wasm backend's kernel changes).
  replaceWasmKernel(tf.Identity, () => sharedIdentityKernel);
  // Eval-mode BatchNorm in one pass; it hands shapes it does not cover to tfjs's kernel.
  replaceWasmKernel(tf.FusedBatchNorm, fusedBatchNormKernel);
  const saved = new Map<string, GradConfig | undefined>();
  for (const [kernelName, make] of REPLACEMENTS) {
    const original = tf.getGradient(kernelName);
    saved.set(kernelName, original);
    tf.registerGradient(make(original));
  }
  originals = saved;
}

/** Puts the default gradients back (idempotent). */
export function uninstallFastGradients(): void {
  if (originals === undefined) return;
  for (const [, original] of originals) {
    if (original !== undefined) tf.registerGradient(original);
  }
  originals = undefined;
}
