/**
 * Max and average pooling as ONNX nodes (NCHW), each with its input gradient, in PyTorch's
 * semantics: floor rounding, max pooling's padding never wins, average pooling counts its zero
 * padding (count_include_pad). Windows that tile the input keep their cheaper gradients.
 */
import { pooledSize } from '../models/pool-windows.ts';
import type { GraphBuilder, Value } from './graph-builder.ts';

export interface Pooled {
  y: Value;
  /** ∂L/∂x from ∂L/∂y. */
  inputGradient: (dy: Value) => Value;
}

function windowAttributes(size: number, stride: number, padding: number) {
  return {
    kernel_shape: [size, size],
    strides: [stride, stride],
    // Without padding, the attributes of the graphs made before padding existed.
    ...(padding === 0 ? {} : { pads: [padding, padding, padding, padding] }),
  };
}

export function maxPoolNode(b: GraphBuilder, x: Value, size: number, stride: number, padding: number): Pooled {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const outShape = [n, c, pooledSize(h, size, stride, padding), pooledSize(w, size, stride, padding)];
  const attributes = windowAttributes(size, stride, padding);
  const [y, indices] = b.multiNode('MaxPool', [x], attributes, [outShape, outShape]);
  if (stride === size && padding === 0) {
    // Each input cell is in one window at most: MaxUnpool puts each window's dy at its maximum.
    return {
      y: y!,
      inputGradient: (dy) => b.node('MaxUnpool', [dy, indices!, b.int64s(x.shape)], attributes, x.shape),
    };
  }
  // Overlapping windows can share a maximum, whose gradient is then the sum: a scatter-add over
  // the flattened input (MaxPool's indices count over all of it, batch and channels included).
  return {
    y: y!,
    inputGradient: (dy) => {
      const total = x.shape.reduce((p, d) => p * d, 1);
      const count = outShape.reduce((p, d) => p * d, 1);
      const zeros = b.node('ConstantOfShape', [b.int64s([total])], { value: { tensor: 0 } }, [total]);
      const flat = b.node(
        'ScatterElements',
        [zeros, b.reshape(indices!, [count]), b.reshape(dy, [count])],
        { axis: 0, reduction: { string: 'add' } },
        [total],
      );
      return b.reshape(flat, x.shape);
    },
  };
}

export function avgPoolNode(b: GraphBuilder, x: Value, size: number, stride: number, padding: number): Pooled {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [ho, wo] = [pooledSize(h, size, stride, padding), pooledSize(w, size, stride, padding)];
  const attributes = {
    ...windowAttributes(size, stride, padding),
    ...(padding === 0 ? {} : { count_include_pad: 1 }),
  };
  const y = b.node('AveragePool', [x], attributes, [n, c, ho, wo]);
  if (stride === size && padding === 0) return { y, inputGradient: (dy) => tiledAvgPoolGradient(b, dy, x.shape, size) };
  return {
    y,
    inputGradient: (dy) => {
      // Each window's dy/size² back over its cells: a transposed depthwise convolution with a
      // constant filter, padded back to x's size (cells no window reads get 0).
      const filter = b.floats(new Array<number>(c * size * size).fill(1 / (size * size)), [c, 1, size, size]);
      const outputPadding = [h, w].map((d, i) => d - ((([ho, wo][i]! - 1) * stride - 2 * padding + size) as number));
      return b.node(
        'ConvTranspose',
        [dy, filter],
        {
          kernel_shape: [size, size],
          strides: [stride, stride],
          pads: [padding, padding, padding, padding],
          output_padding: outputPadding,
          group: c,
        },
        x.shape,
      );
    },
  };
}

/** Windows that tile the input: each cell gets 1/size² of its window's dy, cells past the last window none. */
function tiledAvgPoolGradient(b: GraphBuilder, dy: Value, xShape: number[], size: number): Value {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [ho, wo] = [dy.shape[2]!, dy.shape[3]!];
  const spread = b.node('Expand', [b.reshape(dy, [n, c, ho, 1, wo, 1]), b.int64s([n, c, ho, size, wo, size])], {}, [
    n,
    c,
    ho,
    size,
    wo,
    size,
  ]);
  let dx = b.binary('Mul', b.reshape(spread, [n, c, ho * size, wo * size]), b.scalar(1 / (size * size)));
  if (ho * size !== h || wo * size !== w) {
    dx = b.node('Pad', [dx, b.int64s([0, 0, 0, 0, 0, 0, h - ho * size, w - wo * size])], {}, xShape);
  }
  return dx;
}
