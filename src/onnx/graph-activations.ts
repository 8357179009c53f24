/**
 * The derivative factors of the elementwise activations, as nodes in the layout of their operands
 * (plain or blocked NCHWc). The backward passes multiply dy by them; the tangent rules
 * (tangent-rules.ts) multiply ẋ by the same, so both agree at the kinks: PyTorch's conventions,
 * leaky ReLU's slope alpha at 0 and hardtanh's 0 at its bounds.
 */
import type { GraphBuilder, Value } from './graph-builder.ts';

/** An elementwise node in its operands' layout (NchwcLayout's, or a plain node). */
export interface Elementwise {
  elementwise(op: string, inputs: Value[], shape: number[]): Value;
}

/** Plain nodes, for graphs that track no layout (the tangent rules: elementwise works in either). */
export function plainElementwise(b: GraphBuilder): Elementwise {
  return { elementwise: (op, inputs, shape) => b.node(op, inputs, {}, shape) };
}

/** t where x > 0, alpha·t elsewhere. */
export function leakyReluMasked(b: GraphBuilder, l: Elementwise, x: Value, t: Value, alpha: number): Value {
  const positive = l.elementwise('Greater', [x, b.scalar(0)], x.shape);
  return l.elementwise('Where', [positive, t, l.elementwise('Mul', [t, b.scalar(alpha)], t.shape)], t.shape);
}

/** t where min < x < max, 0 elsewhere (min and max: scalar values, Clip's inputs). */
export function insideMasked(b: GraphBuilder, l: Elementwise, x: Value, t: Value, min: Value, max: Value): Value {
  const zero = b.scalar(0);
  const belowMax = l.elementwise('Where', [l.elementwise('Less', [x, max], x.shape), t, zero], t.shape);
  return l.elementwise('Where', [l.elementwise('Greater', [x, min], x.shape), belowMax, zero], t.shape);
}

/** y·(1 − y) of y = sigmoid(x). */
export function sigmoidSlope(b: GraphBuilder, l: Elementwise, y: Value): Value {
  return l.elementwise('Mul', [y, l.elementwise('Sub', [b.scalar(1), y], y.shape)], y.shape);
}
