/**
 * Forward pass, input gradient and weight gradient of the small CNN (batch 64, 32×32×3) on the
 * active backend. FLOP estimates: forward F, input gradient 2F, weight gradient 3F.
 */
import * as tf from '@tensorflow/tfjs';
import { installFastGradients, uninstallFastGradients, fastGradientsInstalled } from '../src/backend/fast-gradients.ts';
import { crossEntropy, initSmallCnn, smallCnnForwardFlops, smallCnnLogits, type SmallCnnShape } from './workloads/small-cnn.ts';
import { timeWorkload, type Timing } from './timing.ts';

export const GRADIENT_BENCH_SHAPE: SmallCnnShape = { inputSize: 32, inChannels: 3, width: 16, classes: 10 };
export const GRADIENT_BENCH_BATCH = 64;

export interface WorkloadFigure extends Timing {
  name: string;
  imagesPerSecond: number;
  gflops: number;
}

function figure(name: string, timing: Timing, batch: number, flops: number): WorkloadFigure {
  return { name, ...timing, imagesPerSecond: (batch / timing.medianMs) * 1000, gflops: flops / timing.medianMs / 1e6 };
}

export function benchSmallCnnGradients(): WorkloadFigure[] {
  const shape = GRADIENT_BENCH_SHAPE;
  const batch = GRADIENT_BENCH_BATCH;
  const params = initSmallCnn(shape, 1);
  const names = Object.keys(params);
  const x = tf.randomUniform([batch, shape.inputSize, shape.inputSize, shape.inChannels], 0, 1, 'float32', 2) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % shape.classes), 'int32');
  const forwardFlops = smallCnnForwardFlops(shape) * batch;
  const loss = (p: Record<string, tf.Tensor>, input: tf.Tensor4D) => crossEntropy(smallCnnLogits(p, input), labels);

  const forward = () => tf.tidy(() => loss(params, x).dataSync());
  const inputGradient = () => tf.tidy(() => tf.sum(tf.grad((input: tf.Tensor) => loss(params, input as tf.Tensor4D))(x)).dataSync());
  const weightGradient = () => tf.tidy(() => {
    const grads = tf.grads((...ps: tf.Tensor[]) => loss(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), x))(names.map((n) => params[n]!));
    return tf.addN(grads.map((g) => tf.sum(g))).dataSync();
  });

  const figures = [
    figure('forward', timeWorkload(forward), batch, forwardFlops),
    figure('input gradient', timeWorkload(inputGradient), batch, 2 * forwardFlops),
    figure('weight gradient', timeWorkload(weightGradient), batch, 3 * forwardFlops),
  ];
  if (tf.getBackend() === 'wasm' && fastGradientsInstalled()) {
    // The "before": tfjs's own gradients (Conv2DBackpropInput; no weight gradient at all on WASM).
    uninstallFastGradients();
    try {
      figures.push(figure('input gradient, tfjs default formulas', timeWorkload(inputGradient, { warmup: 1, runs: 3 }), batch, 2 * forwardFlops));
    } finally {
      installFastGradients();
    }
  }
  tf.dispose([...Object.values(params), x, labels]);
  return figures;
}
