/**
 * Square Attack (Andriushchenko, Croce, Flammarion & Hein, ECCV 2020), untargeted, L∞ and L2, as
 * AutoAttack runs it (fra31/auto-attack's square.py with resc_schedule=False): random search that
 * queries only the logits, so it is blind to gradient masking. Images stay in host memory; each
 * iteration changes one square (L∞) or two windows (L2) of the best point so far and keeps the
 * change when the loss drops or the example is misclassified.
 *
 * Randomness: one stream per (seed, restart). Values shared by the images of an iteration (square
 * positions, channel signs, the pattern's transpose) are drawn whatever the attacked set is, and
 * per-image values (start stripes, L2 signs) for all N images, so that an image's outcome does not
 * depend on which other images are attacked: AutoAttack attacks only the ones still robust.
 */
import * as tf from '@tensorflow/tfjs';
import { WeightscapeError } from '../errors.ts';
import type { ModelFunction } from '../models/model-function.ts';
import { seededUniform } from '../random.ts';
import type { SquareSpec } from './attack-spec.ts';
import { clip01, l2Proposal, l2Start, randomSign, eta, type Dims } from './square-l2.ts';

export interface SquareResult {
  /**
   * Adversarial inputs [N,H,W,C] (caller owns): fooled → the misclassified point found; attacked but
   * never fooled → the lowest-loss point of the last restart; not attacked → x.
   */
  xAdv: tf.Tensor4D;
  /** Per example: attacked and misclassified at xAdv. */
  fooled: boolean[];
  /** Per example: model queries spent (0 for examples not attacked). */
  queries: number[];
}

/** The fraction of pixels a square covers at iteration i: upstream's schedule, not rescaled to the budget. */
export function squareFraction(pInit: number, iteration: number): number {
  const bounds = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let halvings = 0;
  while (halvings < bounds.length && iteration > bounds[halvings]!) halvings++;
  return pInit / 2 ** halvings;
}

/** Python's round (half to even), which upstream uses for the square's side. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Upstream's `random_int(low, high)`: low + (high − low)·u truncated. */
function randomInt(uniform: () => number, high: number): number {
  return Math.trunc(high * uniform());
}

/** The stream of restart `restart` under `seed`. */
function restartStream(seed: number, restart: number): () => number {
  return seededUniform((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(restart + 1, 0x85ebca6b)) >>> 0);
}

/** Margins z_y − max_{j≠y} z_j and losses (the margin, or −CE) of images, from the model's logits. */
type Scorer = (images: Float32Array, rows: number[]) => { margin: Float64Array; loss: Float64Array };

function makeScorer(
  model: ModelFunction,
  n: number,
  dims: Dims,
  labels: number[],
  lossKind: SquareSpec['loss'],
): Scorer {
  const d = dims.h * dims.w * dims.c;
  // onnxruntime keeps one session per batch size: pad each query to a size of the ladder N, ⌈N/2⌉, …, 1.
  const batchFor = (count: number) => {
    let size = n;
    while (Math.ceil(size / 2) >= count && size > 1) size = Math.ceil(size / 2);
    return size;
  };
  return (images, rows) => {
    const count = rows.length;
    const size = batchFor(count);
    const batch = new Float32Array(size * d);
    batch.set(images.subarray(0, count * d));
    for (let k = count; k < size; k++) batch.copyWithin(k * d, 0, d);
    const input = tf.tensor4d(batch, [size, dims.h, dims.w, dims.c]);
    const output = tf.tidy(() => model.logits(input));
    const logits = output.dataSync();
    const classes = output.shape[1];
    input.dispose();
    output.dispose();
    const margin = new Float64Array(count);
    const loss = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const y = labels[rows[k]!]!;
      const z = logits.subarray(k * classes, (k + 1) * classes);
      let other = -Infinity;
      let top = -Infinity;
      for (let j = 0; j < classes; j++) {
        top = Math.max(top, z[j]!);
        if (j !== y) other = Math.max(other, z[j]!);
      }
      margin[k] = z[y]! - other;
      if (lossKind === 'margin') {
        loss[k] = margin[k]!;
      } else {
        let sum = 0;
        for (let j = 0; j < classes; j++) sum += Math.exp(z[j]! - top);
        loss[k] = -(top + Math.log(sum) - z[y]!);
      }
    }
    return { margin, loss };
  };
}

/** The L∞ start for all n images: x + eps·s clipped to [0, 1], s a random ±1 per (image, channel, column). */
function linfStart(x: Float32Array, n: number, dims: Dims, eps: number, uniform: () => number): Float32Array {
  const { h, w, c } = dims;
  const out = new Float32Array(x.length);
  const stripes = new Float64Array(c * w);
  for (let i = 0; i < n; i++) {
    // Drawn in upstream's [n, c, 1, w] order.
    for (let ch = 0; ch < c; ch++) for (let q = 0; q < w; q++) stripes[q * c + ch] = randomSign(uniform);
    for (let y = 0; y < h; y++) {
      for (let q = 0; q < w; q++) {
        for (let ch = 0; ch < c; ch++) {
          const k = i * h * w * c + (y * w + q) * c + ch;
          out[k] = clip01(x[k]! + eps * stripes[q * c + ch]!);
        }
      }
    }
  }
  return out;
}

/** A random-search run on the images `rows`; fills `best`, `margin`, `queries` for them. */
function singleRun(
  spec: SquareSpec,
  score: Scorer,
  x: Float32Array,
  n: number,
  dims: Dims,
  rows: number[],
  uniform: () => number,
  state: { best: Float32Array; margin: Float64Array; queries: number[] },
): void {
  const { h, w, c } = dims;
  const d = h * w * c;
  const { eps } = spec;
  const start = spec.norm === 'linf' ? linfStart(x, n, dims, eps, uniform) : l2Start(x, n, dims, eps, uniform);
  const gather = (source: Float32Array, ids: number[]) => {
    const out = new Float32Array(ids.length * d);
    ids.forEach((i, k) => out.set(source.subarray(i * d, (i + 1) * d), k * d));
    return out;
  };
  const initial = score(gather(start, rows), rows);
  const lossMin = new Float64Array(n);
  rows.forEach((i, k) => {
    state.best.set(start.subarray(i * d, (i + 1) * d), i * d);
    state.margin[i] = initial.margin[k]!;
    lossMin[i] = initial.loss[k]!;
    state.queries[i]! += 1;
  });
  const signs = new Float64Array(n * c);
  for (let iteration = 0; iteration < spec.queries; iteration++) {
    const todo = rows.filter((i) => state.margin[i]! > 0);
    if (todo.length === 0) break;
    const p = squareFraction(spec.pInit, iteration);
    const proposal = gather(state.best, todo);
    if (spec.norm === 'linf') {
      const s = Math.min(Math.max(roundHalfEven(Math.sqrt(p * h * w)), 1), h, w);
      const vh = randomInt(uniform, h - s);
      const vw = randomInt(uniform, w - s);
      for (let ch = 0; ch < c; ch++) signs[ch] = randomSign(uniform);
      todo.forEach((i, k) => {
        for (let y = vh; y < vh + s; y++) {
          for (let q = vw; q < vw + s; q++) {
            for (let ch = 0; ch < c; ch++) {
              const at = (y * w + q) * c + ch;
              const v = proposal[k * d + at]! + 2 * eps * signs[ch]!;
              const clean = x[i * d + at]!;
              proposal[k * d + at] = clip01(Math.min(Math.max(v, clean - eps), clean + eps));
            }
          }
        }
      });
    } else {
      let s = Math.max(roundHalfEven(Math.sqrt(p * h * w)), 3);
      if (s % 2 === 0) s += 1;
      s = Math.min(s, h, w);
      const vh = randomInt(uniform, h - s);
      const vw = randomInt(uniform, w - s);
      const vh2 = randomInt(uniform, h - s);
      const vw2 = randomInt(uniform, w - s);
      const win = { s, vh, vw, vh2, vw2, pattern: eta(s, uniform() > 0.5) };
      for (let k = 0; k < n * c; k++) signs[k] = randomSign(uniform);
      todo.forEach((i, k) => {
        const row = (a: Float32Array, j: number) => a.subarray(j * d, (j + 1) * d);
        l2Proposal(row(x, i), row(state.best, i), row(proposal, k), dims, eps, win, signs.subarray(i * c, (i + 1) * c));
      });
    }
    const scored = score(proposal, todo);
    todo.forEach((i, k) => {
      const improved = scored.loss[k]! < lossMin[i]!;
      if (improved) lossMin[i] = scored.loss[k]!;
      if (improved || scored.margin[k]! <= 0) {
        state.margin[i] = scored.margin[k]!;
        state.best.set(proposal.subarray(k * d, (k + 1) * d), i * d);
      }
      state.queries[i]! += 1;
    });
  }
}

/**
 * Square Attack on x. `active[i]` false: example i is not attacked (AutoAttack passes the examples
 * still robust); default: the clean-correct ones.
 */
export function squareAttack(
  model: ModelFunction,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  spec: SquareSpec,
  seed: number,
  active?: boolean[],
): SquareResult {
  const [n, h, w, c] = x.shape;
  const dims = { h, w, c };
  if (labels.shape[0] !== n) {
    throw new WeightscapeError('bad-argument', `squareAttack: ${labels.shape[0]} labels for ${n} images`);
  }
  if (active !== undefined && active.length !== n) {
    throw new WeightscapeError('bad-argument', `squareAttack: active has ${active.length} entries for ${n} images`);
  }
  if (spec.norm === 'l2' && Math.min(h, w) < 5) {
    throw new WeightscapeError('bad-argument', `square:l2 needs images of at least 5×5 pixels (got ${h}×${w})`);
  }
  const clean = Float32Array.from(x.dataSync());
  const y = Array.from(labels.dataSync(), Number);
  const score = makeScorer(model, n, dims, y, spec.loss);
  const all = Array.from({ length: n }, (_, i) => i);
  const attacked = active ?? Array.from(score(clean, all).margin, (m) => m > 0);
  const d = h * w * c;
  const xAdv = clean.slice();
  const fooled = new Array<boolean>(n).fill(false);
  const queries = new Array<number>(n).fill(0);
  const state = { best: clean.slice(), margin: new Float64Array(n), queries };
  for (let restart = 0; restart < spec.restarts; restart++) {
    const rows = all.filter((i) => attacked[i] && !fooled[i]);
    if (rows.length === 0) break;
    singleRun(spec, score, clean, n, dims, rows, restartStream(seed, restart), state);
    for (const i of rows) {
      fooled[i] = state.margin[i]! <= 0;
      xAdv.set(state.best.subarray(i * d, (i + 1) * d), i * d);
    }
  }
  return { xAdv: tf.tensor4d(xAdv, [n, h, w, c]), fooled, queries };
}
