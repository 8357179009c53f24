/**
 * The losses of the ONNX graphs on logits, each with its gradient with respect to the logits in
 * closed form (softmax algebra), so the network's reverse tape starts from those seeds: the
 * cross-entropy (hard or soft targets), the CW margin, APGD's DLR losses (untargeted and
 * targeted), and TRADES' and MART's training losses on a clean and an adversarial pass. Formulas
 * as in training-loss.ts and loss.ts (tfjs), whose autodiff they must equal: an argmax or a sort
 * (CW's and MART's most likely wrong class, DLR's ranks) is held fixed.
 */
import type { GraphBuilder, Value } from './graph-builder.ts';

export type LossObjective = 'cross-entropy' | 'cw-margin' | 'dlr' | 'dlr-targeted' | 'trades' | 'mart';

/** A loss per example ([N]) and d(objective)/d(logits) of each pass it reads. */
export interface LossHead {
  perExample: Value;
  seeds: Array<[logits: Value, seed: Value]>;
}

/**
 * The head of `objective`: `logits` holds one pass (two, clean then adversarial, for TRADES and
 * MART); `targets` is one-hot labels, or any distribution for the cross-entropy; `scale` is
 * d(objective)/d(loss_i).
 */
export function lossHead(
  b: GraphBuilder,
  objective: LossObjective,
  logits: Value[],
  targets: Value,
  scale: number,
  beta: number,
  targetClasses?: Value,
): LossHead {
  const [n, k] = logits[0]!.shape as [number, number];
  const ops = headOps(b, n, k);
  const { mul, sub, add, rowSum } = ops;
  const z = logits[0]!;
  if (objective === 'cross-entropy') {
    return { perExample: ops.crossEntropy(z, targets), seeds: [[z, ops.scaled(sub(ops.softmax(z), targets), scale)]] };
  }
  if (objective === 'cw-margin') {
    // max_{j≠y} z_j − z_y: the label pushed far below every other logit, as tfjs's cwMarginPerExample.
    const wrong = ops.argMaxOneHot(sub(z, mul(targets, b.scalar(1e9))));
    const seed = sub(wrong, targets);
    return { perExample: ops.flat(rowSum(mul(z, seed))), seeds: [[z, ops.scaled(seed, scale)]] };
  }
  if (objective === 'dlr' || objective === 'dlr-targeted') {
    // −(z·a)/(z·d + 1e-12) with a and d held fixed: ∂/∂z = −(a + loss·d)/(z·d + 1e-12).
    const [top1, top2, top3, top4] = ops.topOneHots(z, objective === 'dlr' ? 3 : 4);
    let a: Value;
    let d: Value;
    if (objective === 'dlr') {
      // The best wrong class: the second-ranked when the label ranks first, else the first.
      const labelFirst = rowSum(mul(top1!, targets));
      const wrong = add(mul(top2!, labelFirst), mul(top1!, sub(b.scalar(1), labelFirst)));
      a = sub(targets, wrong);
      d = sub(top1!, top3!);
    } else {
      if (targetClasses === undefined) throw new Error('loss head: dlr-targeted needs the target classes');
      a = sub(targets, targetClasses);
      d = sub(top1!, mul(add(top3!, top4!), b.scalar(0.5)));
    }
    const denominator = add(rowSum(mul(z, d)), b.scalar(1e-12));
    const loss = ops.neg(ops.div(rowSum(mul(z, a)), denominator));
    const seed = ops.neg(ops.div(add(a, mul(loss, d)), denominator));
    return { perExample: ops.flat(loss), seeds: [[z, ops.scaled(seed, scale)]] };
  }
  const [clean, adv] = [z, logits[1]!];
  const p = ops.softmax(clean);
  const logP = ops.logSoftmax(clean);
  const q = ops.softmax(adv);
  if (objective === 'trades') {
    // CE(z, y) + β·KL(p‖q): ∂/∂z = p − y + β·p⊙(a − KL) with a = log p − log q; ∂/∂z′ = β·(q − p).
    const a = sub(logP, ops.logSoftmax(adv));
    const kl = rowSum(mul(p, a));
    const loss = add(ops.crossEntropy(clean, targets), ops.flat(mul(kl, b.scalar(beta))));
    const dClean = add(sub(p, targets), mul(mul(p, sub(a, kl)), b.scalar(beta)));
    const dAdv = mul(sub(q, p), b.scalar(beta));
    return {
      perExample: loss,
      seeds: [
        [clean, ops.scaled(dClean, scale)],
        [adv, ops.scaled(dAdv, scale)],
      ],
    };
  }
  // MART: CE(z′, y) − log(1.0001 − q_w + 1e-12) + β·KL(p‖q + 1e-12)·(1.0000001 − p_y), w = argmax_{j≠y} q_j.
  const wrong = ops.argMaxOneHot(sub(q, mul(targets, b.scalar(2))));
  const qWrong = rowSum(mul(q, wrong));
  const margin = add(sub(b.scalar(1.0001), qWrong), b.scalar(1e-12));
  const boost = ops.neg(ops.log(margin));
  const qSafe = add(q, b.scalar(1e-12));
  const a = sub(logP, ops.log(qSafe));
  const kl = rowSum(mul(p, a));
  const pTrue = rowSum(mul(p, targets));
  const weight = sub(b.scalar(1.0000001), pTrue);
  const loss = add(ops.crossEntropy(adv, targets), ops.flat(add(boost, mul(mul(kl, weight), b.scalar(beta)))));
  // ∂KL/∂z′_j = q_j·Σr − r_j with r = p⊙q/(q + 1e-12); ∂boost/∂z′ = (q_w/margin)·(onehot(w) − q).
  const r = ops.div(mul(p, q), qSafe);
  const dKlAdv = sub(mul(q, rowSum(r)), r);
  const dAdv = add(
    add(sub(q, targets), mul(ops.div(qWrong, margin), sub(wrong, q))),
    mul(mul(dKlAdv, weight), b.scalar(beta)),
  );
  // ∂/∂z of KL·weight: weight·p⊙(a − KL) − KL·p_y·(onehot(y) − p).
  const dClean = mul(sub(mul(mul(p, sub(a, kl)), weight), mul(mul(kl, pTrue), sub(targets, p))), b.scalar(beta));
  return {
    perExample: loss,
    seeds: [
      [clean, ops.scaled(dClean, scale)],
      [adv, ops.scaled(dAdv, scale)],
    ],
  };
}

/** The elementwise and per-row operations of the heads on [N, K] logits. */
function headOps(b: GraphBuilder, n: number, k: number) {
  const unary = (op: string) => (v: Value) => b.node(op, [v], {}, v.shape);
  const mul = (x: Value, y: Value) => b.binary('Mul', x, y);
  return {
    mul,
    sub: (x: Value, y: Value) => b.binary('Sub', x, y),
    add: (x: Value, y: Value) => b.binary('Add', x, y),
    div: (x: Value, y: Value) => b.binary('Div', x, y),
    neg: unary('Neg'),
    log: unary('Log'),
    scaled: (v: Value, scale: number) => (scale === 1 ? v : mul(v, b.scalar(scale))),
    /** Σ over classes, kept as [N, 1] to broadcast against [N, K]. */
    rowSum: (v: Value) => b.reduceSum(v, [1], true),
    flat: (v: Value) => b.reshape(v, [n]),
    softmax: (z: Value) => b.node('Softmax', [z], { axis: 1 }, [n, k]),
    logSoftmax: (z: Value) => b.node('LogSoftmax', [z], { axis: 1 }, [n, k]),
    /** logsumexp(z) − Σ t⊙z per example: the cross-entropy for any target distribution t. */
    crossEntropy: (z: Value, t: Value) =>
      b.binary(
        'Sub',
        b.node('ReduceLogSumExp', [z], { axes: [1], keepdims: 0 }, [n]),
        b.reduceSum(mul(z, t), [1], false),
      ),
    /** One-hots of each row's `m` largest entries, largest first (TopK), constants to the tape. */
    topOneHots: (v: Value, m: number) => {
      const [, indices] = b.multiNode('TopK', [v, b.int64s([m])], { axis: 1, largest: 1, sorted: 1 }, [
        [n, m],
        [n, m],
      ]);
      return Array.from({ length: m }, (_, j) =>
        b.node(
          'OneHot',
          [
            b.reshape(b.node('Gather', [indices!, b.int64s([j])], { axis: 1 }, [n, 1]), [n]),
            b.int64s([k]),
            b.floats([0, 1]),
          ],
          { axis: -1 },
          [n, k],
        ),
      );
    },
    /** One-hot of each row's argmax (the first on ties, as tf.argMax), a constant to the tape. */
    argMaxOneHot: (v: Value) =>
      b.node(
        'OneHot',
        [b.node('ArgMax', [v], { axis: 1, keepdims: 0 }, [n]), b.int64s([k]), b.floats([0, 1])],
        { axis: -1 },
        [n, k],
      ),
  };
}
