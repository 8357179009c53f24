import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { measureFlatness } from '../../src/landscape/flatness.ts';
import { flatness1d } from '../../src/landscape/flatness-1d.ts';
import { sampleLandscape } from '../../src/landscape/sample-landscape.ts';

const CHECKPOINT = fileURLToPath(new URL('../../fixtures/attacks/convnet-mini.pt', import.meta.url));
const MODEL = { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 } };
const ATTACK = 'pgd:linf:eps=0.1:steps=2:step=0.05';

test('flatness along a random direction equals a 1D sweep at −ρ, 0, ρ along the same seeded direction', async () => {
  const backend = await selectBackend('wasm');
  const rho = 0.3;
  const flat = measureFlatness({ checkpoint: CHECKPOINT, data: 'mini', split: 'test', subset: 60, rho, rhoAdversarial: 0.02, directions: 1, attack: ATTACK, hessian: false, hessianBatches: 1, batchSize: 64, seed: 2, model: MODEL, backend });
  const sweep = sampleLandscape({
    settings: { checkpoint: CHECKPOINT, data: 'mini', split: 'test', subset: 60, batchSize: 64, loss: 'adversarial', attack: ATTACK, fixedExamples: false, bn: 'eval', recalibrationBatches: 1, directions: ['filter'], includeBn: false, alphas: [-rho, 0, rho], betas: null, seed: 2 },
    model: MODEL, backend,
  });
  for (const [kind, table] of [['clean', sweep.values.cleanLoss[0]!], ['adversarial', sweep.values.robustLoss![0]!]] as const) {
    const [minus, zero, plus] = table as number[];
    const f = flat[kind];
    assert.ok(Math.abs(f.atTheta - zero!) < 1e-6, `${kind} at θ`);
    assert.ok(Math.abs(f.averageIncrease - (plus! - zero!)) < 1e-6, `${kind} increase ${f.averageIncrease} vs ${plus! - zero!}`);
    assert.ok(Math.abs(f.curvature - (plus! + minus! - 2 * zero!) / rho ** 2) < 1e-4, `${kind} curvature`);
    assert.equal(f.maxIncrease, f.averageIncrease);
    assert.ok(f.adversarialDirectionIncrease > 0, `${kind}: the adversarial direction raises the loss`);
  }
});

test('1D flatness of a parabola: curvature 2a, increases at ±ρ', () => {
  const alphas = Array.from({ length: 21 }, (_, i) => -1 + i / 10);
  const f = flatness1d(alphas, alphas.map((a) => 3 * a * a + 0.5 * a + 1));
  assert.ok(Math.abs(f.curvature - 6) < 1e-9);
  assert.ok(Math.abs(f.increasePlus - 3.5) < 1e-9);
  assert.ok(Math.abs(f.increaseMinus - 2.5) < 1e-9);
  assert.equal(f.atZero, 1);
  assert.equal(f.fitPoints, 5);
});
