/**
 * APGD (Croce & Hein, ICML 2020, Algorithm 1): PGD whose step size starts at 2·eps and halves, per
 * example, at checkpoints where the loss stalled, with momentum 0.75 and each halving restarting
 * from the best point; APGD-CE and APGD-DLR untargeted, APGD-T the targeted DLR towards each of the
 * most likely wrong classes in turn. As the reference implementation (fra31/auto-attack) runs it,
 * each run attacks only the examples still robust, and the oscillation test at the first
 * checkpoint compares the first iterate's loss with 0 (its loss history starts zeroed).
 */
import * as tf from '@tensorflow/tfjs';
import type { InputObjective, ModelFunction } from '../models/model-function.ts';
import { checkAttackClasses, type ApgdSpec, type ApgdTargetedSpec, type Norm } from './attack-spec.ts';
import { attackStart, type AttackOutcome, copyRow, gatherRows, rowsToHost } from './example-rows.ts';

/** One run's losses (tests compare them with the PyTorch reference). */
export interface ApgdRunTrace {
  restart: number;
  /** APGD-T: the target's rank among the clean logits (2 = the most likely other class); null untargeted. */
  targetRank: number | null;
  /** Indices into the batch of the examples the run attacked. */
  examples: number[];
  initialLoss: number[];
  /** The loss at each iterate, per example. */
  lossSteps: number[][];
  lossBest: number[];
}

export interface ApgdOptions {
  /** Replaces the random start of every run (rows of the run's examples). */
  start?: tf.Tensor4D;
  /** Examples to attack (AutoAttack: those still robust); default the clean-correct ones. */
  active?: boolean[];
  /** Collects each run's losses when given. */
  trace?: ApgdRunTrace[];
}

/** The checkpoint schedule of n iterations: first interval, its decrement and its minimum. */
export function checkpointSchedule(steps: number): { first: number; decrement: number; minimum: number } {
  return {
    first: Math.max(Math.floor(0.22 * steps), 1),
    decrement: Math.max(Math.floor(0.03 * steps), 1),
    minimum: Math.max(Math.floor(0.06 * steps), 1),
  };
}

/** The attack on a batch; the caller owns `xAdv`. */
export function apgdAttack(
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  spec: ApgdSpec | ApgdTargetedSpec,
  seed: number,
  options: ApgdOptions = {},
): AttackOutcome {
  const n = x.shape[0];
  const cleanLogits = tf.tidy(() => model.logits(x));
  try {
    checkAttackClasses(spec, cleanLogits.shape[1]);
  } catch (error) {
    cleanLogits.dispose();
    throw error;
  }
  const labelIds = labels.dataSync();
  const cleanPredictions = tf.tidy(() => tf.argMax(cleanLogits, 1).dataSync());
  const robust = options.active?.slice() ?? Array.from(cleanPredictions, (p, i) => p === labelIds[i]);
  const fooled = new Array<boolean>(n).fill(false);
  const result = rowsToHost(x);
  const rowLength = result.length / n;
  const targetRanks = spec.kind === 'apgd-t' ? Array.from({ length: spec.targets }, (_, t) => t + 2) : [null];
  let run = 0;
  for (const targetRank of targetRanks) {
    for (let restart = 0; restart < spec.restarts; restart++, run++) {
      const examples = robust.flatMap((r, i) => (r ? [i] : []));
      if (examples.length === 0) continue;
      const [xs, ys, start, targets] = tf.tidy(() => {
        const noise = options.start ?? attackStart(x, spec.eps, spec.norm, seed * 1009 + run);
        // The t-th most likely class on the clean input, as upstream ranks the subset's clean logits.
        const ranked = targetRank === null ? [] : [tf.topk(gatherRows(cleanLogits, examples), targetRank).indices];
        return [
          gatherRows(x, examples),
          gatherRows(labels, examples),
          gatherRows(noise, examples),
          ...ranked.map((r) => tf.reshape(tf.slice(r, [0, targetRank! - 1], [-1, 1]), [-1]) as tf.Tensor1D),
        ] as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D, tf.Tensor1D?];
      });
      const objective: InputObjective =
        spec.kind === 'apgd-t' ? 'dlr-targeted' : spec.loss === 'ce' ? 'cross-entropy' : 'dlr';
      const single = singleRun(model, xs, ys, start, {
        norm: spec.norm,
        eps: spec.eps,
        steps: spec.steps,
        objective,
        targets,
      });
      options.trace?.push({ restart, targetRank, examples, ...single.trace });
      const [best, bestAdv] = [single.xBest.dataSync(), single.xBestAdv.dataSync()];
      examples.forEach((example, row) => {
        const fooledNow = !single.robust[row];
        copyRow(result, example, fooledNow ? bestAdv : best, row, rowLength);
        if (fooledNow) {
          robust[example] = false;
          fooled[example] = true;
        }
      });
      tf.dispose([xs, ys, start, single.xBest, single.xBestAdv, ...(targets === undefined ? [] : [targets])]);
    }
  }
  cleanLogits.dispose();
  return { xAdv: tf.tensor4d(result, x.shape), fooled };
}

interface RunSettings {
  norm: Norm;
  eps: number;
  steps: number;
  objective: InputObjective;
  targets?: tf.Tensor1D;
}

/** Per-example [m, 1, 1, 1] of host values, for broadcasting against images. */
const perExample = (values: ArrayLike<number>) => tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);

/** ‖t‖₂ per example, [m, 1, 1, 1]. */
const exampleNorms = (t: tf.Tensor4D) =>
  tf.reshape(tf.norm(tf.reshape(t, [t.shape[0], -1]), 'euclidean', 1), [-1, 1, 1, 1]);

/** x + the part of (z − x) inside the ball, then into [0, 1] (the reference's projection for each norm). */
function projectStep(z: tf.Tensor4D, x: tf.Tensor4D, eps: number, norm: Norm): tf.Tensor4D {
  return tf.tidy(() => {
    const delta = tf.sub(z, x);
    if (norm === 'linf') return tf.clipByValue(tf.add(x, tf.clipByValue(delta, -eps, eps)), 0, 1) as tf.Tensor4D;
    const length = exampleNorms(delta as tf.Tensor4D);
    return tf.clipByValue(
      tf.add(x, tf.mul(tf.div(delta, tf.add(length, 1e-12)), tf.minimum(length, eps))),
      0,
      1,
    ) as tf.Tensor4D;
  });
}

/**
 * Where `mask` (per example, host) holds, `a`'s row, else `b`'s; disposes `b`. Rows are copied on
 * the host: tf.where with a per-example [m, 1, 1, 1] condition broadcasts it first and took ~44 ms
 * a call at batch 128 on CIFAR-sized inputs, three times per iteration.
 */
function chooseRows(mask: boolean[], a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  if (!mask.some(Boolean)) return b;
  const rowLength = a.size / mask.length;
  const rows = rowsToHost(b);
  const source = a.dataSync();
  mask.forEach((take, j) => {
    if (take) copyRow(rows, j, source, j, rowLength);
  });
  b.dispose();
  return tf.tensor4d(rows, a.shape);
}

/** One run of Algorithm 1 from `start`: the best point, the first misclassified point and who stayed robust. */
function singleRun(
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  start: tf.Tensor4D,
  settings: RunSettings,
) {
  const { norm, eps, steps, objective, targets } = settings;
  const m = x.shape[0];
  const labelIds = labels.dataSync();
  const read = (at: tf.Tensor4D) => {
    const r = model.lossAndInputGradient(at, labels, objective, targets);
    const loss = r.loss.dataSync().slice();
    const predictions = tf.tidy(() => tf.argMax(r.logits, 1).dataSync());
    tf.dispose([r.loss, r.logits]);
    return { loss, right: Array.from(predictions, (p, i) => p === labelIds[i]), gradient: r.gradient };
  };
  let xAdv = tf.clipByValue(start, 0, 1) as tf.Tensor4D;
  const first = read(xAdv);
  let gradient = first.gradient;
  let gradientBest = tf.clone(gradient);
  let xBest = tf.clone(xAdv);
  let xBestAdv = tf.clone(xAdv);
  let xOld = tf.clone(xAdv);
  const robust = first.right.slice();
  const lossBest = Float32Array.from(first.loss);
  const stepSize = new Float32Array(m).fill(2 * eps);
  // The loss history, zero-initialised: the first checkpoint reads its last row as the previous loss.
  const lossSteps = Array.from({ length: steps }, () => new Float32Array(m));
  const schedule = checkpointSchedule(steps);
  let interval = schedule.first;
  let sinceCheck = 0;
  let lossBestLastCheck = lossBest.slice();
  let reducedLastCheck = new Array<boolean>(m).fill(true);
  for (let i = 0; i < steps; i++) {
    const momentum = i > 0 ? 0.75 : 1;
    const xNew = tf.tidy(() => {
      const previousMove = tf.sub(xAdv, xOld);
      const step = perExample(stepSize);
      const direction = norm === 'linf' ? tf.sign(gradient) : tf.div(gradient, tf.add(exampleNorms(gradient), 1e-12));
      const z = projectStep(tf.add(xAdv, tf.mul(step, direction)) as tf.Tensor4D, x, eps, norm);
      const mixed = tf.add(
        tf.add(xAdv, tf.mul(tf.sub(z, xAdv), momentum)),
        tf.mul(previousMove, 1 - momentum),
      ) as tf.Tensor4D;
      return projectStep(mixed, x, eps, norm);
    });
    xOld.dispose();
    xOld = xAdv;
    xAdv = xNew;
    const r = read(xAdv);
    gradient.dispose();
    gradient = r.gradient;
    const misclassified = r.right.map((right) => !right);
    misclassified.forEach((wrong, j) => {
      if (wrong) robust[j] = false;
    });
    xBestAdv = chooseRows(misclassified, xAdv, xBestAdv);
    lossSteps[i]!.set(r.loss);
    const improved = Array.from(r.loss, (v, j) => v > lossBest[j]!);
    xBest = chooseRows(improved, xAdv, xBest);
    gradientBest = chooseRows(improved, gradient, gradientBest);
    improved.forEach((better, j) => {
      if (better) lossBest[j] = r.loss[j]!;
    });
    if (++sinceCheck < interval) continue;
    // Checkpoint: halve where fewer than 75% of the interval's steps increased the loss, or where
    // the last checkpoint did not halve and the best loss did not improve since.
    const reduce = Array.from({ length: m }, (_, j) => {
      let increases = 0;
      for (let c = 0; c < interval; c++) {
        const previous = lossSteps[(i - c - 1 + steps) % steps]![j]!;
        if (lossSteps[i - c]![j]! > previous) increases++;
      }
      const oscillating = increases <= interval * 0.75;
      const stalled = !reducedLastCheck[j]! && lossBestLastCheck[j]! >= lossBest[j]!;
      return oscillating || stalled;
    });
    reducedLastCheck = reduce;
    lossBestLastCheck = lossBest.slice();
    reduce.forEach((halve, j) => {
      if (halve) stepSize[j]! /= 2;
    });
    if (reduce.some(Boolean)) {
      // Restart the halved examples from their best point and its gradient (clones: xBest stays).
      const [bestCopy, gradientCopy] = [tf.clone(xBest), tf.clone(gradientBest)];
      xAdv = chooseRows(reduce, bestCopy, xAdv);
      gradient = chooseRows(reduce, gradientCopy, gradient);
      tf.dispose([bestCopy, gradientCopy]);
    }
    interval = Math.max(interval - schedule.decrement, schedule.minimum);
    sinceCheck = 0;
  }
  tf.dispose([xAdv, xOld, gradient, gradientBest]);
  return {
    xBest,
    xBestAdv,
    robust,
    trace: {
      initialLoss: Array.from(first.loss),
      lossSteps: lossSteps.map((row) => Array.from(row)),
      lossBest: Array.from(lossBest),
    },
  };
}
