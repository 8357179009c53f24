import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { formatAttack, parseAttack, type PgdSpec } from '../../src/attacks/attack-spec.ts';
import { pgdAttack } from '../../src/attacks/pgd.ts';
import { tradesAttack } from '../../src/attacks/trades.ts';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { disposeWeights } from '../../src/checkpoints/map-to-model.ts';
import { evaluateSplit } from '../../src/eval/split-metrics.ts';
import { convnetMini, miniTest } from '../helpers/convnet-mini.ts';
import { tfjsModelFunction } from '../../src/models/tfjs-engine.ts';
import { WeightscapeError } from '../../src/errors.ts';

async function setup() {
  await selectBackend('wasm');
  const { config, weights } = convnetMini();
  const data = miniTest(200, 40);
  const x = tf.tensor4d(data.images, data.shape);
  const labels = tf.tensor1d(data.labels, 'int32');
  const model = tfjsModelFunction(config, weights, { training: false });
  return {
    weights,
    config,
    data,
    x,
    labels,
    model,
    logitsFn: model.logits,
    dispose: () => {
      disposeWeights(weights);
      tf.dispose([x, labels]);
    },
  };
}

function maxOf(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(t).dataSync()[0]!);
}

test('L∞ and L2 PGD stay inside the eps-ball and [0, 1], with random starts and restarts', async () => {
  const s = await setup();
  for (const text of [
    'pgd:linf:eps=0.1:steps=5:step=0.05',
    'pgd:linf:eps=8/255:steps=3:restarts=2',
    'pgd:l2:eps=1:steps=5:step=0.5',
    'pgd:l2:eps=0.3:steps=3:restarts=2:loss=cw',
    'fgsm:eps=0.2',
  ]) {
    const spec = parseAttack(text) as PgdSpec;
    for (const seed of [1, 2]) {
      const xAdv = pgdAttack(s.model, s.x, s.labels, spec, seed);
      assert.deepEqual(xAdv.shape, s.x.shape, `${text}: shape`);
      const [linf, l2, low, high] = tf.tidy(() => {
        const delta = tf.sub(xAdv, s.x);
        return [
          maxOf(tf.abs(delta)),
          maxOf(tf.sqrt(tf.sum(tf.square(tf.reshape(delta, [s.x.shape[0], -1])), 1))),
          -maxOf(tf.neg(xAdv)),
          maxOf(xAdv),
        ];
      });
      if (spec.norm === 'linf') assert.ok(linf <= spec.eps + 1e-6, `${text}: max |x_adv − x| = ${linf}`);
      else assert.ok(l2 <= spec.eps + 1e-5, `${text}: max ‖x_adv − x‖₂ = ${l2}`);
      assert.ok(linf > 0, `${text}: the attack moved the input`);
      assert.ok(low >= 0 && high <= 1, `${text}: x_adv in [${low}, ${high}]`);
      xAdv.dispose();
    }
  }
  s.dispose();
});

test('TRADES maximization stays in the L∞ ball and raises the KL divergence', async () => {
  const s = await setup();
  const xAdv = tradesAttack(s.model, s.x, { kind: 'trades', eps: 0.1, step: 0.02, steps: 5 }, 3);
  const linf = tf.tidy(() => maxOf(tf.abs(tf.sub(xAdv, s.x))));
  assert.ok(linf <= 0.1 + 1e-6, `max |x_adv − x| = ${linf}`);
  const kl = tf.tidy(() => {
    const p = tf.softmax(s.logitsFn(s.x));
    const q = tf.logSoftmax(s.logitsFn(xAdv));
    return tf.sum(tf.mul(p, tf.sub(tf.log(p), q))).dataSync()[0]!;
  });
  assert.ok(kl > 1, `KL after 5 steps: ${kl}`);
  xAdv.dispose();
  s.dispose();
});

test('a 0-step attack without random start returns the clean input; robust metrics then equal clean ones', async () => {
  const s = await setup();
  const xAdv = pgdAttack(s.model, s.x, s.labels, parseAttack('pgd:linf:eps=0.1:steps=0:random-start=0') as PgdSpec, 0);
  assert.equal(
    tf.tidy(() => maxOf(tf.abs(tf.sub(xAdv, s.x)))),
    0,
  );
  xAdv.dispose();
  const metrics = evaluateSplit({
    weights: s.weights,
    config: s.config,
    data: s.data,
    attack: parseAttack('pgd:linf:eps=0.1:steps=0:random-start=0'),
    batchSize: 16,
    seed: 0,
  });
  assert.equal(metrics.robust!.accuracy, metrics.clean.accuracy);
  assert.ok(Math.abs(metrics.robust!.loss - metrics.clean.loss) < 1e-6);
  s.dispose();
});

test('robust accuracy never exceeds clean accuracy, and the same seed gives the same result', async () => {
  const s = await setup();
  for (const text of ['pgd:linf:eps=0.02:steps=3', 'pgd:l2:eps=0.2:steps=3', 'fgsm:eps=0.05']) {
    const run = () =>
      evaluateSplit({
        weights: s.weights,
        config: s.config,
        data: s.data,
        attack: parseAttack(text),
        batchSize: 16,
        seed: 5,
      });
    const first = run();
    assert.ok(
      first.robust!.accuracy <= first.clean.accuracy,
      `${text}: robust ${first.robust!.accuracy} > clean ${first.clean.accuracy}`,
    );
    assert.ok(first.robust!.loss >= first.clean.loss - 1e-6, `${text}: the attack lowered the loss`);
    assert.deepEqual(run(), first);
  }
  s.dispose();
});

test('attack strings: defaults, fractions, canonical form, and one clear error per mistake', () => {
  const pgd = parseAttack('pgd:linf:eps=8/255:steps=10:step=2/255') as PgdSpec;
  assert.equal(pgd.eps, 8 / 255);
  assert.equal(pgd.step, 2 / 255);
  assert.equal(pgd.randomStart, true);
  assert.equal(formatAttack(pgd), `pgd:linf:eps=${8 / 255}:steps=10:step=${2 / 255}:random-start=1:restarts=1:loss=ce`);
  assert.deepEqual(parseAttack('fgsm:eps=0.1'), {
    kind: 'pgd',
    norm: 'linf',
    eps: 0.1,
    step: 0.1,
    steps: 1,
    randomStart: false,
    restarts: 1,
    loss: 'ce',
  });
  assert.equal((parseAttack('pgd:l2:eps=0.5:steps=20') as PgdSpec).step, (2.5 * 0.5) / 20);
  assert.deepEqual(parseAttack('none'), { kind: 'none' });
  for (const [text, pattern] of [
    ['pgd:linf:steps=10', /eps is required/],
    ['pgd:linf:eps=abc', /eps=abc is not a non-negative number/],
    ['pgd:linf:eps=0.1:steps=1.5', /steps=1.5 must be an integer/],
    ['pgd:linf:eps=0.1:foo=1', /unknown key foo/],
    ['cw:eps=1', /unknown attack 'cw'/],
    ['pgd:linf:eps=0.1:loss=hinge', /loss must be ce or cw/],
  ] as const) {
    assert.throws(
      () => parseAttack(text),
      (e: unknown) => e instanceof WeightscapeError && e.code === 'bad-argument' && pattern.test(e.message),
      text,
    );
  }
});
