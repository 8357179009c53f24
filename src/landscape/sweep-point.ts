/** One point of a sweep: the loss and accuracy of θ + α·d (+ β·e), written into the result's tables. */
import * as tf from '@tensorflow/tfjs';
import type { AttackSpec } from '../attacks/attack-spec.ts';
import type { LabeledImages } from '../data/dataset.ts';
import { evaluateSplit } from '../eval/split-metrics.ts';
import type { ModelConfig, ModelWeights, TensorMap } from '../models/types.ts';
import { recalibratedState } from './point-inputs.ts';
import type { LandscapeResult, LandscapeSettings } from './sample-landscape.ts';

/** What every point of a sweep shares. */
export interface PointContext {
  settings: LandscapeSettings;
  weights: ModelWeights;
  config: ModelConfig;
  /** The sweep's examples (BatchNorm recalibration runs on them). */
  data: LabeledImages;
  /** What the points are evaluated on: the examples, or adversarial ones fixed at θ. */
  evalData: LabeledImages;
  /** The attack at each point ('none' for the clean loss and for fixed examples). */
  pointAttack: AttackSpec;
  d1: TensorMap;
  d2: TensorMap | undefined;
}

/** Computes point k (k = i_beta · |alphas| + i_alpha) and stores it in `values`. */
export function computePoint(values: LandscapeResult['values'], k: number, context: PointContext): void {
  const { settings, weights, config, data, evalData, pointAttack, d1, d2 } = context;
  const { alphas, betas } = settings;
  const [iBeta, iAlpha] = [Math.floor(k / alphas.length), k % alphas.length];
  const alpha = alphas[iAlpha]!;
  const beta = betas?.[iBeta] ?? 0;
  const params = tf.tidy(() =>
    Object.fromEntries(
      Object.entries(weights.params).map(([n, p]) => {
        let moved = tf.add(p, tf.mul(d1[n]!, alpha));
        if (d2 !== undefined) moved = tf.add(moved, tf.mul(d2[n]!, beta));
        return [n, moved];
      }),
    ),
  );
  const state =
    settings.bn === 'recalibrate'
      ? recalibratedState(params, weights.state, config, data, settings.batchSize, settings.recalibrationBatches)
      : weights.state;
  const metrics = evaluateSplit({
    weights: { params, state },
    config,
    data: evalData,
    attack: pointAttack,
    batchSize: settings.batchSize,
    seed: settings.seed,
  });
  tf.dispose(Object.values(params));
  if (state !== weights.state) tf.dispose(Object.values(state));
  values.cleanLoss[iBeta]![iAlpha] = metrics.clean.loss;
  values.cleanAccuracy[iBeta]![iAlpha] = metrics.clean.accuracy;
  if (metrics.robust && values.robustLoss && values.robustAccuracy) {
    values.robustLoss[iBeta]![iAlpha] = metrics.robust.loss;
    values.robustAccuracy[iBeta]![iAlpha] = metrics.robust.accuracy;
  }
}
