/**
 * The L2 Square Attack's geometry (Andriushchenko et al. 2020, as fra31/auto-attack runs it): the
 * window pattern `eta`, the initial tiling of windows and the two-window proposal that moves mass
 * between windows while the whole perturbation keeps norm eps. Images are NHWC rows in host memory.
 */

/** Image dimensions: height, width, channels. */
export interface Dims {
  h: number;
  w: number;
  c: number;
}

/**
 * Nested rectangles of weight 1/(k+1)² around the centre of a rows×cols grid, scaled to unit
 * Frobenius norm (upstream's `eta_rectangles`).
 */
export function etaRectangles(rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  let r0 = Math.floor(rows / 2);
  let c0 = Math.floor(cols / 2);
  const rings = Math.max(r0 + 1, c0 + 1);
  for (let k = 0; k < rings; k++) {
    const weight = 1 / (k + 1) ** 2;
    for (let r = Math.max(r0, 0); r < Math.min(r0 + 2 * k + 1, rows); r++) {
      for (let c = Math.max(c0, 0); c < Math.min(c0 + 2 * k + 1, cols); c++) out[r * cols + c]! += weight;
    }
    r0 -= 1;
    c0 -= 1;
  }
  return scaleToUnit(out);
}

/**
 * The s×s window pattern: rectangles on the top half, their negation on the bottom half, unit
 * norm, transposed when `transpose` (upstream flips that coin with probability 1/2 per call).
 */
export function eta(s: number, transpose: boolean): Float64Array {
  const top = Math.floor(s / 2);
  const out = new Float64Array(s * s);
  out.set(etaRectangles(top, s), 0);
  const bottom = etaRectangles(s - top, s);
  for (let k = 0; k < bottom.length; k++) out[top * s + k] = -bottom[k]!;
  scaleToUnit(out);
  if (!transpose) return out;
  const t = new Float64Array(s * s);
  for (let r = 0; r < s; r++) for (let c = 0; c < s; c++) t[c * s + r] = out[r * s + c]!;
  return t;
}

function scaleToUnit(v: Float64Array): Float64Array {
  let sum = 0;
  for (const a of v) sum += a * a;
  const norm = Math.sqrt(sum);
  // An empty grid (0 rows) has norm 0: upstream divides 0 by 0; nothing is added from it either way.
  if (norm > 0) for (let k = 0; k < v.length; k++) v[k]! /= norm;
  return v;
}

/** ±1 with probability 1/2 each (upstream's sign(2u − 1)). */
export function randomSign(uniform: () => number): number {
  return uniform() < 0.5 ? -1 : 1;
}

/**
 * The L2 start for all `n` images: windows of side ⌊h/5⌋ tiling the image, each an `eta` pattern
 * times a random sign per (image, channel), the sum scaled to norm eps, added to x, clipped to
 * [0, 1]. Every image's signs are drawn (in the order n, c per window) so that an image's start
 * does not depend on which others are attacked.
 */
export function l2Start(x: Float32Array, n: number, dims: Dims, eps: number, uniform: () => number): Float32Array {
  const { h, w, c } = dims;
  const d = h * w * c;
  const delta = new Float64Array(n * d);
  const s = Math.floor(h / 5);
  const start = Math.floor((h - 5 * s) / 2);
  for (let a = 0, vh = start; a < Math.floor(h / s); a++, vh += s) {
    for (let b = 0, vw = start; b < Math.floor(w / s); b++, vw += s) {
      const pattern = eta(s, uniform() > 0.5);
      for (let i = 0; i < n; i++) {
        for (let ch = 0; ch < c; ch++) {
          const sign = randomSign(uniform);
          for (let r = 0; r < s && vh + r < h; r++) {
            for (let q = 0; q < s && vw + q < w; q++) {
              delta[i * d + ((vh + r) * w + vw + q) * c + ch]! += sign * pattern[r * s + q]!;
            }
          }
        }
      }
    }
  }
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = i * d; k < (i + 1) * d; k++) sum += delta[k]! ** 2;
    const scale = eps / (Math.sqrt(sum) + 1e-12);
    for (let k = i * d; k < (i + 1) * d; k++) out[k] = clip01(x[k]! + delta[k]! * scale);
  }
  return out;
}

/** One iteration's shared choice: window side, the new window (vh, vw), the emptied one (vh2, vw2), the pattern. */
export interface L2Windows {
  s: number;
  vh: number;
  vw: number;
  vh2: number;
  vw2: number;
  pattern: Float64Array;
}

/**
 * The L2 proposal for one image (rows of length h·w·c): the perturbation's mass in window 1 is
 * replaced, per channel, by the pattern times `signs[ch]` plus the old window content (both unit
 * norm), scaled to take the mass of both windows plus a share of the unused budget; window 2 is
 * emptied; the whole perturbation is rescaled to norm eps and the image clipped to [0, 1].
 */
export function l2Proposal(
  x: Float32Array,
  best: Float32Array,
  out: Float32Array,
  dims: Dims,
  eps: number,
  win: L2Windows,
  signs: ArrayLike<number>,
): void {
  const { h, w, c } = dims;
  const { s, vh, vw, vh2, vw2, pattern } = win;
  const d = h * w * c;
  const delta = new Float64Array(d);
  let image = 0;
  for (let k = 0; k < d; k++) {
    delta[k] = best[k]! - x[k]!;
    image += delta[k]! ** 2;
  }
  const inWindow = (y: number, q: number, r0: number, c0: number) => y >= r0 && y < r0 + s && q >= c0 && q < c0 + s;
  let windows = 0;
  for (let y = 0; y < h; y++) {
    for (let q = 0; q < w; q++) {
      if (!inWindow(y, q, vh, vw) && !inWindow(y, q, vh2, vw2)) continue;
      for (let ch = 0; ch < c; ch++) windows += delta[(y * w + q) * c + ch]! ** 2;
    }
  }
  const mass = Math.sqrt(Math.max(eps * eps - image, 0) / c + windows);
  const fresh = new Float64Array(c * s * s);
  for (let ch = 0; ch < c; ch++) {
    let old = 0;
    for (let r = 0; r < s; r++) for (let q = 0; q < s; q++) old += delta[((vh + r) * w + vw + q) * c + ch]! ** 2;
    const oldNorm = Math.sqrt(old) + 1e-12;
    let sum = 0;
    for (let r = 0; r < s; r++) {
      for (let q = 0; q < s; q++) {
        const v = pattern[r * s + q]! * signs[ch]! + delta[((vh + r) * w + vw + q) * c + ch]! / oldNorm;
        fresh[(ch * s + r) * s + q] = v;
        sum += v * v;
      }
    }
    const scale = mass / (Math.sqrt(sum) + 1e-12);
    for (let k = ch * s * s; k < (ch + 1) * s * s; k++) fresh[k]! *= scale;
  }
  for (let r = 0; r < s; r++) {
    for (let q = 0; q < s; q++) for (let ch = 0; ch < c; ch++) delta[((vh2 + r) * w + vw2 + q) * c + ch] = 0;
  }
  for (let ch = 0; ch < c; ch++) {
    for (let r = 0; r < s; r++) {
      for (let q = 0; q < s; q++) delta[((vh + r) * w + vw + q) * c + ch] = fresh[(ch * s + r) * s + q]!;
    }
  }
  let total = 0;
  for (let k = 0; k < d; k++) total += delta[k]! ** 2;
  const scale = eps / (Math.sqrt(total) + 1e-12);
  for (let k = 0; k < d; k++) out[k] = clip01(x[k]! + delta[k]! * scale);
}

export function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
