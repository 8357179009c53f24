import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../../src/backend/select-backend.ts';
import { parseRange } from '../../src/landscape/grid.ts';
import { mergeLandscapes } from '../../src/landscape/merge-landscapes.ts';
import { sampleLandscape, type LandscapeResult, type LandscapeSettings } from '../../src/landscape/sample-landscape.ts';
import { firstDifference } from '../../src/landscape/sweep-identity.ts';
import { parsedSettings } from '../helpers/sweep-settings.ts';

const CHECKPOINT = fileURLToPath(new URL('../../fixtures/models/mlp.pt', import.meta.url));
const MODEL = { arch: 'mlp', options: { hidden: [32, 16] } };
const RECORDED: LandscapeSettings = {
  checkpoint: CHECKPOINT,
  data: 'mini',
  split: 'test',
  subset: 16,
  batchSize: 16,
  loss: 'clean',
  attack: 'none',
  fixedExamples: false,
  bn: 'eval',
  recalibrationBatches: 1,
  directions: ['adversarial'],
  includeBn: false,
  alphas: parseRange('-1:1:3'),
  betas: null,
  seed: 0,
};
const SETTINGS = parsedSettings(RECORDED);

const copy = (r: LandscapeResult): LandscapeResult => JSON.parse(JSON.stringify(r)) as LandscapeResult;

test('firstDifference names the first differing field as a dotted path', () => {
  assert.equal(firstDifference({ a: { b: [1, 2] } }, { a: { b: [1, 2] } }, 'r'), null);
  assert.equal(firstDifference({ a: { b: [1, 2] } }, { a: { b: [1, 3] } }, 'r'), 'r.a.b[1]');
  assert.equal(firstDifference({ a: 1 }, { a: 1, n: undefined }, 'r'), null);
  assert.equal(firstDifference({ a: 1 }, { a: 1, n: null }, 'r'), 'r.n');
});

test('a result records the identity of its sweep: checkpoint and data SHA-256, resolved model, hidden direction settings', async () => {
  const backend = await selectBackend('wasm');
  const r = sampleLandscape({
    settings: { ...SETTINGS, directions: [{ kind: 'adversarial' }, { kind: 'hessian' }], betas: [0] },
    model: { ...MODEL, normalization: { mean: [0.5], std: [0.25] } },
    backend,
    shard: { index: 0, count: 3 },
  });
  const identity = r.identity!;
  assert.equal(identity.checkpointSha256, r.provenance.checkpoint!.sha256);
  assert.match(identity.data.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(identity.model.normalization, { mean: [0.5], std: [0.25] });
  assert.equal(identity.model.classes, 10);
  assert.match(identity.directionAttack!, /^pgd:linf:eps=0.1:steps=10:/);
  assert.deepEqual(identity.awp, { gamma: 0.01, steps: 1, batches: 1 });
  assert.deepEqual(identity.hessian, {
    method: 'lanczos',
    product: 'exact',
    maxIterations: 100,
    tolerance: 1e-3,
    batches: 1,
  });
});

test('merge refuses shards of another checkpoint file (same path, other SHA-256) or other --mean/--std, naming file and field', async () => {
  const backend = await selectBackend('wasm');
  const [a, b] = [0, 1].map((index) =>
    sampleLandscape({ settings: SETTINGS, model: MODEL, backend, shard: { index, count: 2 } }),
  );
  assert.equal(mergeLandscapes([a!, b!], ['a.json', 'b.json']).complete, true);
  // The checkpoint file was replaced between the shards: its hash differs, its path does not.
  const changed = copy(b!);
  changed.identity!.checkpointSha256 = '0'.repeat(64);
  changed.provenance.checkpoint!.sha256 = '0'.repeat(64);
  assert.throws(
    () => mergeLandscapes([a!, changed], ['a.json', 'b.json']),
    /^WeightscapeError: b\.json: not the same sweep as a\.json: identity\.checkpointSha256 differs \("0{10}/,
  );
  const normalized = sampleLandscape({
    settings: SETTINGS,
    model: { ...MODEL, normalization: { mean: [0.5], std: [0.5] } },
    backend,
    shard: { index: 1, count: 2 },
  });
  assert.throws(
    () => mergeLandscapes([a!, normalized], ['a.json', 'n.json']),
    /n\.json: not the same sweep as a\.json: identity\.model\.normalization differs \(\{"mean":\[0\.5\],"std":\[0\.5\]\} vs absent\)/,
  );
  assert.throws(
    () => mergeLandscapes([a!, { ...copy(b!), settings: { ...copy(b!).settings, seed: 4 } }], ['a.json', 's.json']),
    /s\.json: .*settings\.seed differs \(4 vs 0\)/,
  );
});

test('resume and merge compare attacks in canonical form: a result whose attack was written in another spelling still continues', async () => {
  const backend = await selectBackend('wasm');
  const recorded = { ...RECORDED, loss: 'adversarial' as const, directions: ['filter'] };
  const canonical = 'pgd:linf:eps=0.1:steps=1:step=0.04:random-start=1:restarts=1:loss=ce';
  const settings = parsedSettings({ ...recorded, attack: 'pgd:linf:eps=0.1:step=0.04:steps=1:restarts=1' });
  const whole = sampleLandscape({ settings, model: MODEL, backend });
  assert.equal(whole.settings.attack, canonical);
  // As results were written before the canonical string was recorded: the user's spelling.
  const oldSpelling = (r: LandscapeResult): LandscapeResult => {
    const old = copy(r);
    old.settings.attack = 'pgd:linf:eps=0.1:steps=1:step=0.04';
    return old;
  };
  const partial = oldSpelling(sampleLandscape({ settings, model: MODEL, backend, stopAfterPoints: 1 }));
  const resumed = sampleLandscape({ settings, model: MODEL, backend, resumeFrom: partial });
  assert.deepEqual(resumed.values, whole.values);
  assert.equal(resumed.complete, true);
  assert.equal(resumed.settings.attack, canonical);
  const [a, b] = [0, 1].map((index) =>
    sampleLandscape({ settings, model: MODEL, backend, shard: { index, count: 2 } }),
  );
  const merged = mergeLandscapes([oldSpelling(a!), b!], ['a.json', 'b.json']);
  assert.deepEqual(merged.values, whole.values);
  // Another attack is still another sweep, named in canonical form.
  const stronger = copy(partial);
  stronger.settings.attack = 'pgd:linf:eps=0.2:steps=1:step=0.04';
  assert.throws(
    () => sampleLandscape({ settings, model: MODEL, backend, resumeFrom: stronger }),
    /settings\.attack differs \("pgd:linf:eps=0\.2:steps=1:step=0\.04:random-start=1:restarts=1:loss=ce" vs "pgd:linf:eps=0\.1:/,
  );
});
