import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkGradients, normalInput } from '../helpers/gradient-check.ts';
import { matMul } from '../helpers/reference-ops.ts';

for (const transposeA of [false, true]) {
  for (const transposeB of [false, true]) {
    test(`matMul gradient: transposeA=${transposeA} transposeB=${transposeB}`, async () => {
      const [m, k, n] = [5, 7, 3];
      const aShape: [number, number] = transposeA ? [k, m] : [m, k];
      const bShape: [number, number] = transposeB ? [n, k] : [k, n];
      await checkGradients({
        inputs: [normalInput('a', aShape, 11), normalInput('b', bShape, 12)],
        tfjs: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, transposeB),
        reference: (a, b) => matMul(a!, aShape, b!, bShape, transposeA, transposeB).data,
      });
    });
  }
}

test('matMul gradient: batched 3-D operands', async () => {
  const [batch, m, k, n] = [3, 4, 5, 2];
  await checkGradients({
    inputs: [normalInput('a', [batch, m, k], 13), normalInput('b', [batch, k, n], 14)],
    tfjs: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    reference: (a, b) => {
      const out = new Float64Array(batch * m * n);
      for (let i = 0; i < batch; i++) {
        const product = matMul(
          a!.subarray(i * m * k, (i + 1) * m * k),
          [m, k],
          b!.subarray(i * k * n, (i + 1) * k * n),
          [k, n],
          false,
          false,
        );
        out.set(product.data, i * m * n);
      }
      return out;
    },
  });
});
