/**
 * The reverse-mode tape of the ONNX graphs: each recorded node says how to turn its output's
 * gradient into its inputs' gradients, emitted as more ONNX nodes. Only values that depend on a
 * differentiated input are recorded; a gradient has its value's layout (plain or blocked NCHWc).
 */
import type { Value } from './graph-builder.ts';
import type { NchwcLayout } from './nchwc-layout.ts';

/** The gradients of a node's inputs from its output's (undefined where not needed). */
export type Backward = (dy: Value) => Array<Value | undefined>;

interface TapeEntry {
  inputs: Value[];
  output: Value;
  backward: Backward;
}

export class GradientTape {
  private readonly entries: TapeEntry[] = [];
  private readonly differentiable = new Set<string>();

  constructor(private readonly layout: NchwcLayout) {}

  /** Marks graph inputs whose gradients will be asked for. */
  differentiate(values: Value[]): void {
    for (const v of values) this.differentiable.add(v.name);
  }

  /** Whether `v` depends on a differentiated input (so its gradient is wanted). */
  needs(v: Value): boolean {
    return this.differentiable.has(v.name);
  }

  /** Records `output` = f(inputs) with f's backward when an input is differentiable; returns `output`. */
  record(inputs: Value[], output: Value, backward: Backward): Value {
    if (inputs.some((v) => this.needs(v))) {
      this.differentiable.add(output.name);
      this.entries.push({ inputs, output, backward });
    }
    return output;
  }

  /**
   * Reverse pass from `seed` (the gradient of the objective with respect to `output`; several
   * outputs each with its own seed for an objective of several outputs): the gradients of the
   * requested values (undefined for those the outputs do not depend on).
   */
  gradients(output: Value | Array<[Value, Value]>, seed: Value | undefined, wrt: Value[]): Array<Value | undefined> {
    const seeds: Array<[Value, Value]> = Array.isArray(output) ? output : [[output, seed!]];
    const grads = new Map<string, Value>(seeds.map(([o, s]) => [o.name, s]));
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      const dy = grads.get(entry.output.name);
      if (dy === undefined) continue;
      entry.backward(dy).forEach((g, k) => {
        const input = entry.inputs[k]!;
        if (g === undefined || !this.needs(input)) return;
        const previous = grads.get(input.name);
        const inLayout = this.layout.as(g, input);
        grads.set(
          input.name,
          previous === undefined ? inLayout : this.layout.elementwise('Add', [previous, inLayout], input.shape),
        );
      });
    }
    return wrt.map((v) => grads.get(v.name));
  }
}
