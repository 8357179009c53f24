/**
 * AutoAttack and APGD on the committed convnet-mini (mini test images, true labels) and narrow
 * PreActResNet-18 (random images labelled by its own predictions, at a radius that fools some):
 * APGD-CE's robust accuracy is at most PGD-10's, AutoAttack's at most each member's run alone, and
 * its per-member accounting and per-example outcome are consistent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { formatAttack, parseAttack, type AttackSpec, type AutoAttackSpec } from '../../src/attacks/attack-spec.ts';
import { type LabeledImages } from '../../src/data/dataset.ts';
import { maskingNote } from '../../src/eval/evaluate-checkpoint.ts';
import { evaluateSplit } from '../../src/eval/split-metrics.ts';
import { modelFunction } from '../../src/models/engine-registry.ts';
import type { ModelConfig, ModelWeights } from '../../src/models/types.ts';
import { useOnnxruntimeInThisFile } from '../helpers/engine.ts';
import { convnetMini, miniTest } from '../helpers/convnet-mini.ts';
import { loadFixtureModel } from '../helpers/fixtures.ts';
import { preactImages } from '../helpers/preact-inputs.ts';

useOnnxruntimeInThisFile();

interface Case {
  name: string;
  config: ModelConfig;
  weights: ModelWeights;
  data: LabeledImages;
  norm: 'linf' | 'l2';
  eps: string;
}

function convnetCase(): Case & { dispose: () => void } {
  return { name: 'convnet-mini', ...convnetMini(), data: miniTest(0, 100), norm: 'linf', eps: '0.1' };
}

/** The narrow preact on 32 random images labelled by its own predictions (all clean-correct). */
function preactCase(): Case & { dispose: () => void } {
  const f = loadFixtureModel('preact-resnet18');
  const images = preactImages();
  const count = 32;
  const x = tf.tensor4d(images.images.subarray(0, count * 3072), [count, 32, 32, 3]);
  const model = modelFunction(f.config, f.weights, { training: false });
  const labels = tf.tidy(() => tf.argMax(model.logits(x), 1).dataSync() as Int32Array);
  x.dispose();
  const data: LabeledImages = {
    images: images.images.subarray(0, count * 3072),
    shape: [count, 32, 32, 3],
    labels: Int32Array.from(labels),
    spec: 'preact-inputs[:32], own predictions',
  };
  return {
    name: 'preact-resnet18 (width 4)',
    config: f.config,
    weights: f.weights,
    data,
    norm: 'linf',
    eps: '0.2',
    dispose: f.dispose,
  };
}

function robustAccuracy(c: Case, attack: AttackSpec) {
  return evaluateSplit({ weights: c.weights, config: c.config, data: c.data, attack, batchSize: 128, seed: 0 });
}

for (const make of [convnetCase, preactCase]) {
  const name = make === convnetCase ? 'convnet-mini' : 'narrow preact-resnet18';
  test(`${name}: APGD-CE ≤ PGD-10, AutoAttack ≤ each member alone, consistent per-member and per-example accounting`, (t) => {
    const c = make();
    const head = `${c.norm}:eps=${c.eps}`;
    const pgd = robustAccuracy(c, parseAttack(`pgd:${head}:steps=10`)).robust!.accuracy;
    const apgd = robustAccuracy(c, parseAttack(`apgd:${head}:loss=ce:steps=100`)).robust!.accuracy;
    assert.ok(apgd <= pgd, `${c.name}: APGD-CE ${apgd} vs PGD-10 ${pgd}`);
    const spec = parseAttack(
      `autoattack:${head}:version=custom:attacks=apgd-ce+apgd-t+square:steps=25:targets=3:queries=200`,
    ) as AutoAttackSpec;
    const before = tf.memory().numTensors;
    const auto = robustAccuracy(c, spec);
    assert.equal(tf.memory().numTensors, before, 'AutoAttack leaked tensors');
    const robust = auto.robust!.accuracy;
    const n = c.data.labels.length;
    // Accounting: members in order, each fooling only examples still robust; the outcome string agrees.
    const outcome = auto.outcome!;
    assert.equal(outcome.length, n);
    assert.equal([...outcome].filter((ch) => ch === '.').length / n, robust);
    assert.equal(auto.members!.length, 3);
    auto.members!.forEach((member, m) => {
      assert.equal(member.attack, formatAttack(spec.members[m]!));
      assert.equal(member.seed, 0);
      assert.equal([...outcome].filter((ch) => ch === String(m + 1)).length, member.fooled);
    });
    assert.equal(auto.members!.at(-1)!.robustAccuracy, robust);
    assert.ok(auto.members!.every((m, i, all) => i === 0 || m.robustAccuracy <= all[i - 1]!.robustAccuracy));
    assert.ok(auto.members![0]!.fooled > 0, `${c.name}: APGD-CE fooled nobody, the comparison would be empty`);
    // Each member alone, with the same seed: AutoAttack is at most each one's robust accuracy.
    for (const member of spec.members) {
      const alone = robustAccuracy(c, member).robust!.accuracy;
      t.diagnostic(`${formatAttack(member)} alone: ${alone}`);
      assert.ok(robust <= alone, `${c.name}: AutoAttack ${robust} vs ${formatAttack(member)} alone ${alone}`);
    }
    t.diagnostic(
      `${c.name}: PGD-10 ${pgd}, APGD-CE(100) ${apgd}, AutoAttack ${robust} (${auto.members!.map((m) => m.robustAccuracy).join(' → ')})`,
    );
    // The masking check ran PGD-10 on the same examples? Only eval adds it; here the standalone PGD is below or equal.
    assert.ok(robust <= pgd);
    c.dispose();
  });
}

test('the gradient-masking note: only when clean accuracy is high and PGD-10 is far above the stronger attack', () => {
  const split = (clean: number, robust: number, pgd: number) => ({
    count: 100,
    clean: { loss: 0.5, accuracy: clean },
    robust: { loss: 2, accuracy: robust },
    pgdCheck: { attack: 'pgd', loss: 1, accuracy: pgd },
  });
  assert.equal(maskingNote('test', split(0.9, 0.1, 0.6), 'autoattack').length, 1);
  assert.match(
    maskingNote('test', split(0.9, 0.1, 0.6), 'autoattack')[0]!,
    /gradient masking suspected on the test split: PGD-10's robust accuracy 60\.0% .* 10\.0% at clean accuracy 90\.0%/,
  );
  assert.deepEqual(maskingNote('test', split(0.9, 0.5, 0.55), 'autoattack'), []);
  assert.deepEqual(maskingNote('test', split(0.3, 0.01, 0.25), 'autoattack'), []);
});
