/**
 * onnxruntime's NCHWc channel block on this machine (MLAS picks it from the CPU: 8 with AVX2, 16
 * with AVX-512), found by asking its ReorderInput how far it pads 4 channels. Undefined where
 * the build or the CPU has no blocked layout.
 */
import { GraphBuilder } from './graph-builder.ts';
import { encodeModel } from './onnx-model.ts';
import type { OnnxRuntime } from './onnx-runtime.ts';

/** The block sizes whose filter layouts weightscape's graphs have been checked against. */
const KNOWN_BLOCKS = [8, 16];

export function probeNchwcBlock(runtime: OnnxRuntime): number | undefined {
  const b = new GraphBuilder();
  const x = b.input('x', [1, 4, 1, 1]);
  b.output(b.domainNode('com.microsoft.nchwc', 'ReorderInput', [x], {}, x.shape), 'y');
  try {
    const session = runtime.session(encodeModel(b.build(), 'nchwc-probe'));
    try {
      const padded = session.run({ x: { data: new Float32Array(4), dims: [1, 4, 1, 1] } }, ['y'])['y']!.length;
      return KNOWN_BLOCKS.includes(padded) ? padded : undefined;
    } finally {
      session.dispose();
    }
  } catch {
    return undefined;
  }
}
