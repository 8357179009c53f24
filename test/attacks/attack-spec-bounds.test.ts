import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { attackWarnings, formatAttack, parseAttack } from '../../src/attacks/attack-spec.ts';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { WeightscapeError } from '../../src/errors.ts';
import { evaluateCheckpoint } from '../../src/eval/evaluate-checkpoint.ts';
import { parseDataSpec } from '../../src/data/dataset.ts';
import { resolveTrainConfig, trainWarnings } from '../../src/train/train-config.ts';

const userError = (pattern: RegExp) => (e: unknown) =>
  e instanceof WeightscapeError && e.isUserError && pattern.test(e.message);

test('absurd loop counts are refused with the bound (steps=1e9 used to run for days)', () => {
  assert.throws(
    () => parseAttack('pgd:linf:eps=0.1:steps=1000000000'),
    userError(/steps=1000000000 must be an integer from 0 to 100000$/),
  );
  assert.throws(
    () => parseAttack('trades:eps=0.1:steps=100001'),
    userError(/steps=100001 must be an integer from 0 to 100000$/),
  );
  assert.throws(
    () => parseAttack('pgd:linf:eps=0.1:restarts=1e9'),
    userError(/restarts=1e9 must be an integer from 1 to 1000$/),
  );
  // Empty and blank counts were read as 0.
  assert.throws(() => parseAttack('pgd:linf:eps=0.1:steps='), userError(/steps= must be an integer/));
  assert.equal((parseAttack('pgd:linf:eps=0.1:steps=100000:restarts=1000') as { steps: number }).steps, 100000);
});

test('an L∞ eps ≥ 1 on [0, 1] images is warned about ("did you mean 8/255?"), in eval\'s result and train\'s log', async () => {
  assert.deepEqual(attackWarnings(parseAttack('pgd:linf:eps=8/255')), []);
  assert.deepEqual(attackWarnings(parseAttack('pgd:l2:eps=2')), []);
  assert.match(attackWarnings(parseAttack('pgd:linf:eps=8:steps=2'))[0]!, /eps=8 ≥ 1 .*did you mean 8\/255\?/);
  assert.equal(attackWarnings(parseAttack('trades:eps=4')).length, 1);
  assert.equal(
    trainWarnings(resolveTrainConfig({ arch: 'mlp', data: 'mini', epochs: 1, attack: 'fgsm:eps=8' })).length,
    1,
  );
  const result = evaluateCheckpoint({
    checkpoint: fileURLToPath(new URL('../../fixtures/attacks/convnet-mini.pt', import.meta.url)),
    data: parseDataSpec('mini'),
    splits: ['test'],
    subset: 10,
    attack: parseAttack('pgd:linf:eps=8:steps=1'),
    model: { arch: 'convnet', options: { width: 8, hidden: 32, dropout: 0 } },
    batchSize: 10,
    backend: await selectBackend('cpu'),
    seed: 0,
  });
  assert.ok(
    result.notes.some((n) => n.includes('did you mean 8/255?')),
    result.notes.join('; '),
  );
});

test('APGD and AutoAttack specs: refusals name the key and the choices', () => {
  for (const [text, message] of [
    ['apgd:linf:eps=0.1:loss=cw', /--attack apgd:linf:eps=0\.1:loss=cw: APGD's loss must be ce or dlr/],
    ['autoattack:linf:eps=0.1:attacks=apgd-ce', /attacks= needs version=custom/],
    ['autoattack:linf:eps=0.1:version=custom', /version=custom needs attacks=/],
    ['autoattack:linf:eps=0.1:version=custom:attacks=square+square', /names an attack twice/],
    ['square:linf:eps=0.1:p-init=1.5', /p-init=1\.5 must be in \(0, 1\]/],
    ['apgd-t:linf:eps=0.1:targets=0', /targets=0 must be an integer from 1/],
  ] as const) {
    assert.throws(() => parseAttack(text), message, text);
  }
  const standard = parseAttack('autoattack:l2:eps=0.5');
  assert.equal(standard.kind, 'autoattack');
  assert.deepEqual(standard.kind === 'autoattack' ? standard.members.map((m) => formatAttack(m)) : [], [
    'apgd:l2:eps=0.5:loss=ce:steps=100:restarts=1:eot=1',
    'apgd-t:l2:eps=0.5:targets=9:steps=100:restarts=1:eot=1',
    'square:l2:eps=0.5:queries=5000:p-init=0.8:restarts=1:loss=margin',
  ]);
  const rand = parseAttack('autoattack:linf:eps=8/255:version=rand');
  assert.deepEqual(rand.kind === 'autoattack' ? rand.members.map((m) => formatAttack(m)) : [], [
    `apgd:linf:eps=${8 / 255}:loss=ce:steps=100:restarts=1:eot=20`,
    `apgd:linf:eps=${8 / 255}:loss=dlr:steps=100:restarts=1:eot=20`,
  ]);
  assert.match(attackWarnings(rand)[0]!, /deterministic in eval mode/);
});
