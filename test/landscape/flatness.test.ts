import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { selectBackend, type BackendInfo } from '../../src/backend/select-backend.ts';
import { parseDataSpec } from '../../src/data/dataset.ts';
import { measureFlatness, type FlatnessRequest, type FlatnessResult } from '../../src/landscape/flatness.ts';
import { formatFlatnessTable } from '../../cli/flatness.ts';
import { flatness1d } from '../../src/landscape/flatness-1d.ts';
import { sampleLandscape } from '../../src/landscape/sample-landscape.ts';
import { parsedSettings } from '../helpers/sweep-settings.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const CHECKPOINT = fileURLToPath(new URL('../../fixtures/attacks/convnet-mini.pt', import.meta.url));
const MODEL = { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 } };
const ATTACK = 'pgd:linf:eps=0.1:steps=2:step=0.05';

/** A flatness request on the convnet fixture: one random direction, no Hessian, ρ 0.3; overrides on top. */
function flatnessRequest(backend: BackendInfo, overrides: Partial<FlatnessRequest>): FlatnessRequest {
  return {
    checkpoint: CHECKPOINT,
    data: parseDataSpec('mini'),
    split: 'test',
    subset: 60,
    rho: 0.3,
    rhoAdversarial: 0.02,
    directions: 1,
    hessian: false,
    hessianBatches: 1,
    batchSize: 64,
    seed: 2,
    model: MODEL,
    backend,
    ...overrides,
  };
}

test('flatness along a random direction equals a 1D sweep at −ρ, 0, ρ along the same seeded direction', async () => {
  const backend = await selectBackend('wasm');
  const rho = 0.3;
  const flat = measureFlatness(flatnessRequest(backend, { rho, attack: parseAttack(ATTACK) }));
  const sweep = sampleLandscape({
    settings: parsedSettings({
      checkpoint: CHECKPOINT,
      data: 'mini',
      split: 'test',
      subset: 60,
      batchSize: 64,
      loss: 'adversarial',
      attack: ATTACK,
      fixedExamples: false,
      bn: 'eval',
      recalibrationBatches: 1,
      directions: ['filter'],
      includeBn: false,
      alphas: [-rho, 0, rho],
      betas: null,
      seed: 2,
    }),
    model: MODEL,
    backend,
  });
  for (const [kind, table] of [
    ['clean', sweep.values.cleanLoss[0]!],
    ['adversarial', sweep.values.robustLoss![0]!],
  ] as const) {
    const [minus, zero, plus] = table as number[];
    const f = flat[kind]!;
    assert.ok(Math.abs(f.atTheta - zero!) < 1e-6, `${kind} at θ`);
    assert.ok(
      Math.abs(f.averageIncrease - (plus! - zero!)) < 1e-6,
      `${kind} increase ${f.averageIncrease} vs ${plus! - zero!}`,
    );
    assert.ok(Math.abs(f.curvature - (plus! + minus! - 2 * zero!) / rho ** 2) < 1e-4, `${kind} curvature`);
    assert.equal(f.maxIncrease, f.averageIncrease);
    assert.ok(f.adversarialDirectionIncrease! > 0, `${kind}: the adversarial direction raises the loss`);
  }
});

test('1D flatness of a parabola: curvature 2a, increases at ±ρ', () => {
  const alphas = Array.from({ length: 21 }, (_, i) => -1 + i / 10);
  const f = flatness1d(
    alphas,
    alphas.map((a) => 3 * a * a + 0.5 * a + 1),
  );
  assert.ok(Math.abs(f.curvature - 6) < 1e-9);
  assert.ok(Math.abs(f.increasePlus - 3.5) < 1e-9);
  assert.ok(Math.abs(f.increaseMinus - 2.5) < 1e-9);
  assert.equal(f.atZero, 1);
  assert.equal(f.fitPoints, 5);
});

test('flatness --attack none: the clean measures, the adversarial ones null with a note (it crashed)', async () => {
  const backend = await selectBackend('wasm');
  const none = measureFlatness(flatnessRequest(backend, { subset: 40, attack: parseAttack('none') }));
  const attacked = measureFlatness(flatnessRequest(backend, { subset: 40, attack: parseAttack(ATTACK) }));
  assert.equal(none.adversarial, null);
  assert.equal(none.perDirection[0]!.adversarial, null);
  assert.ok(
    none.notes.some((n) => n.includes('--attack none')),
    none.notes.join('; '),
  );
  // The clean measures along the random directions do not depend on the attack.
  assert.equal(none.clean.atTheta, attacked.clean.atTheta);
  assert.equal(none.clean.averageIncrease, attacked.clean.averageIncrease);
  assert.equal(none.clean.curvature, attacked.clean.curvature);
  assert.ok(none.clean.averageIncrease > 0);
  assert.match(formatFlatnessTable(none), /^adversarial +not measured \(--attack none\)$/m);
});

test('the flatness table marks an eigenvalue whose power iteration did not converge', () => {
  const f = {
    atTheta: 0.5,
    averageIncrease: 0.1,
    maxIncrease: 0.2,
    adversarialDirectionIncrease: 0.3,
    curvature: 1,
    hessianTopEigenvalue: 12.3,
    hessianConverged: false,
  };
  const result = {
    model: { arch: 'convnet', options: {} },
    settings: { rho: 0.5, directions: 1, rhoAdversarial: 0.05, attack: 'none' },
    clean: f,
    adversarial: { ...f, hessianConverged: true },
  } as unknown as FlatnessResult;
  const [, , clean, adversarial] = formatFlatnessTable(result).split('\n');
  assert.match(clean!, /12\.3000 \(not converged\)$/);
  assert.match(adversarial!, / 12\.3000$/);
});

test('weightscape flatness --attack none --json: exit 0, every note of the result on stderr', () => {
  const run = spawnSync(
    process.execPath,
    [
      BIN,
      'flatness',
      '--checkpoint',
      CHECKPOINT,
      '--arch',
      'convnet',
      '--width',
      '8',
      '--hidden',
      '32',
      '--data',
      'mini',
      '--subset',
      '10',
      '--directions',
      '1',
      '--attack',
      'none',
      '--no-hessian',
      '--json',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as FlatnessResult;
  assert.equal(result.adversarial, null);
  assert.ok(result.notes.length > 0);
  for (const note of result.notes) assert.ok(run.stderr.includes(`note: ${note}`), `not on stderr: ${note}`);
});
