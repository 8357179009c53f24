import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAttack } from '../../src/attacks/attack-spec.ts';
import { selectBackend, type BackendInfo } from '../../src/backend/select-backend.ts';
import { loadDataset, parseDataSpec } from '../../src/data/dataset.ts';
import { readAnyResult, readResult } from '../../src/results/read-result.ts';
import type { StudyResult } from '../../src/results/study-schema.ts';
import { correlateResults } from '../../src/stats/correlate-results.ts';
import { checkRunData, listStudyInputs } from '../../src/study/study-inputs.ts';
import { loadEvaluationSplit } from '../../src/eval/open-evaluation.ts';
import { runStudy, type StudyOutcome, type StudyRequest } from '../../src/study/run-study.ts';
import { resolveStudySettings } from '../../src/study/study-settings.ts';
import { train } from '../../src/train/trainer.ts';
import { TINY_ATTACK, tinyTrainConfig } from '../helpers/tiny-train.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-study-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const ATTACK = TINY_ATTACK;
const settings = resolveStudySettings({
  data: parseDataSpec('mini'),
  attack: parseAttack(ATTACK),
  subset: 30,
  landscapeSubset: 20,
  directions: 2,
  points: 5,
  batchSize: 32,
  seed: 3,
  resamples: 300,
  permutations: 300,
});

let backend: BackendInfo;
let runs: string[] = [];

/** Two tiny runs of 3 epochs, every epoch kept (one with AWP): 6 checkpoints. */
async function trainRuns(): Promise<string[]> {
  if (runs.length > 0) return runs;
  backend = await selectBackend('wasm');
  runs = [false, true].map((awp) => {
    const out = join(dir, awp ? 'awp' : 'plain');
    const config = tinyTrainConfig({ awp, saveEvery: 1 });
    train({ config, outDir: out, resume: false, backend });
    return out;
  });
  return runs;
}

function request(out: string, extra: Partial<StudyRequest> = {}): StudyRequest {
  return { ...listStudyInputs(runs), settings, dir: out, model: {}, backend, ...extra };
}

/** The study without what differs between two computations of it (times, dates). */
function stable(outcome: StudyOutcome | undefined) {
  assert.ok(outcome !== undefined);
  const { provenance: _provenance, ...rest } = outcome.study;
  return rest;
}

let whole: StudyResult;
let wholeOutcome: StudyOutcome;

test('a study of 2 runs × 3 epochs: one entry per checkpoint with its gap, flatness and curves, and correlations', async () => {
  await trainRuns();
  wholeOutcome = runStudy(request(join(dir, 'whole')))!;
  whole = wholeOutcome.study;
  assert.ok(
    wholeOutcome.reportFiles.includes('index.html') && wholeOutcome.reportFiles.includes('flatness-vs-gap.svg'),
  );
  assert.equal(whole.checkpoints.length, 6);
  assert.deepEqual(
    whole.checkpoints.map((c) => `${c.run}@${c.epoch}`),
    ['plain@1', 'plain@2', 'plain@3', 'awp@1', 'awp@2', 'awp@3'],
  );
  for (const c of whole.checkpoints) {
    const evaluated = readResult(join(dir, 'whole', c.files.eval), 'eval');
    assert.equal(c.gap!.accuracy, evaluated.gap!.accuracy);
    assert.equal(evaluated.provenance.checkpoint!.sha256, c.sha256);
    const flatness = readResult(join(dir, 'whole', c.files.flatness), 'flatness');
    assert.equal(c.flatness.adversarial!.averageIncrease, flatness.adversarial!.averageIncrease);
    // The curves' random directions are the flatness measures' directions: at α = ρ (index 3 of
    // −2ρ, −ρ, 0, ρ, 2ρ) the clean loss of each curve minus its α = 0 value is that direction's increase.
    c.files.random.forEach((file, m) => {
      const curve = readResult(join(dir, 'whole', file), 'landscape').values.cleanLoss[0] as number[];
      assert.ok(Math.abs(curve[3]! - curve[2]! - flatness.perDirection[m]!.clean) < 1e-5);
    });
    assert.equal(c.curves.random.alphas[3], settings.rho);
    assert.ok(c.curves.random.clean.min.every((v, i) => v <= c.curves.random.clean.mean[i]!));
  }
  // 6 measures × (all, 2 runs, final, best); across runs needs 3 runs, so final and best are null with a note.
  assert.equal(whole.correlations.length, 6 * 5);
  const final = whole.correlations.find((c) => c.scope === 'final')!;
  assert.equal(final.result, null);
  assert.match(final.note!, /needs at least 3 runs/);
  assert.deepEqual(
    whole.runs.map((r) => r.epochs),
    [
      [1, 2, 3],
      [1, 2, 3],
    ],
  );
});

test("the study's correlations equal correlate on the same piece files (library and CLI)", async () => {
  await trainRuns();
  const study = whole;
  const files = study.checkpoints.flatMap((c) => [c.files.eval, c.files.flatness].map((f) => join(dir, 'whole', f)));
  const measure = settings.measures[1]!;
  const entry = study.correlations.find((c) => c.scope === 'all' && c.measure === measure)!;
  const direct = correlateResults(
    files.map((path) => ({ path, json: readAnyResult(path).json })),
    measure,
    'gap.accuracy',
    { resamples: settings.resamples, permutations: settings.permutations, seed: settings.seed },
  );
  assert.deepEqual(entry.result, direct);
  const cli = spawnSync(
    process.execPath,
    [
      'bin/weightscape.js',
      '--seed',
      String(settings.seed),
      'correlate',
      ...files,
      '--x',
      measure,
      '--y',
      'gap.accuracy',
      '--resamples',
      String(settings.resamples),
      '--permutations',
      String(settings.permutations),
      '--json',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(cli.status, 0, cli.stderr);
  const printed = JSON.parse(cli.stdout) as { coefficients: unknown };
  assert.deepEqual(printed.coefficients, entry.result!.coefficients);
});

test('a study killed after 2 checkpoints and run again equals an uninterrupted one, computing only what it lacked', async () => {
  await trainRuns();
  const out = join(dir, 'killed');
  assert.equal(runStudy(request(out, { stopAfterCheckpoints: 2 })), undefined);
  const computed: string[] = [];
  const resumed = runStudy(
    request(out, { onPiece: (input, piece) => computed.push(`${input.run}@${input.epoch} ${piece}`) }),
  );
  assert.deepEqual(stable(resumed), stable(wholeOutcome));
  assert.ok(!computed.some((p) => p.startsWith('plain@1') || p.startsWith('plain@2')), computed.join('; '));
  assert.ok(computed.some((p) => p.startsWith('plain@3')));
  // Run a third time: everything is cached.
  const again: string[] = [];
  runStudy(request(out, { onPiece: (_input, piece) => again.push(piece) }));
  assert.deepEqual(again, []);
});

test('--shard 0/2 and 1/2 then --merge equal one study; --merge refuses a missing piece', async () => {
  await trainRuns();
  const out = join(dir, 'sharded');
  assert.throws(() => runStudy(request(out, { mergeOnly: true })), /study --merge: .* lacks its gap piece/);
  for (const index of [0, 1]) assert.equal(runStudy(request(out, { shard: { index, count: 2 } })), undefined);
  const merged = runStudy(request(out, { mergeOnly: true }));
  assert.deepEqual(stable(merged), stable(wholeOutcome));
});

test("the gap's train split is the run's training subset: the examples the model saw", async () => {
  await trainRuns();
  const c = whole.checkpoints[0]!;
  assert.deepEqual(c.trainingSubset, { size: 64, seed: 1 });
  const evaluated = readResult(join(dir, 'whole', c.files.eval), 'eval');
  assert.equal(evaluated.data.splits.train, 'mini/train[subset 64, seed 1][subset 30, seed 3]');
  assert.equal(evaluated.splits.train!.count, 30);
  const spec = parseDataSpec('mini');
  const trained = loadDataset(spec, { split: 'train', subset: 64, seed: 1 });
  const measured = loadEvaluationSplit(
    { data: spec, subset: 30, seed: 3, trainingSubset: { size: 64, seed: 1 } },
    'train',
  );
  const rows = (d: typeof trained) => {
    const size = d.images.length / d.shape[0];
    return Array.from({ length: d.shape[0] }, (_, i) => d.images.subarray(i * size, (i + 1) * size).join(','));
  };
  const seen = new Set(rows(trained));
  assert.ok(
    rows(measured).every((row) => seen.has(row)),
    'every measured training image is one the run trained on',
  );
  // Without the training subset, most of 30 images of mini's 2,000 would be ones the run never saw.
  const unrelated = loadEvaluationSplit({ data: spec, subset: 30, seed: 3 }, 'train');
  assert.ok(rows(unrelated).filter((row) => seen.has(row)).length < 10);
  const flatness = readResult(join(dir, 'whole', c.files.flatness), 'flatness');
  assert.deepEqual(flatness.settings.trainingSubset, { size: 64, seed: 1 });
  assert.throws(
    () => checkRunData(listStudyInputs(runs).runs, 'fashion-mnist'),
    /study --data fashion-mnist: .* trained on mini/,
  );
});

test('study inputs: a changed epoch checkpoint, a missing path and a directory without log.json exit 2 naming them', async () => {
  const [plain] = await trainRuns();
  const copy = join(dir, 'tampered');
  cpSync(plain!, copy, { recursive: true });
  copyFileSync(join(copy, 'epochs', 'epoch-001.safetensors'), join(copy, 'epochs', 'epoch-002.safetensors'));
  assert.throws(
    () => listStudyInputs([copy]),
    /epoch-002\.safetensors: its SHA-256 differs from the one .*log\.json records/,
  );
  assert.throws(() => listStudyInputs([join(dir, 'nothing')]), /nothing: no such file or directory/);
  writeFileSync(join(dir, 'stray.txt'), 'x');
  const empty = mkdtempSync(join(dir, 'empty-'));
  assert.throws(() => listStudyInputs([empty]), /a directory without log\.json/);
  assert.throws(
    () => resolveStudySettings({ data: parseDataSpec('mini'), attack: parseAttack('none') }),
    /--attack none: the robust generalization gap needs an attack/,
  );
  assert.throws(() => resolveStudySettings({ data: parseDataSpec('mini'), points: 4 }), /--points must be odd/);
  // The same file given twice (as a run's epoch and as a file) is studied once.
  const listed = listStudyInputs([plain!, join(plain!, 'epochs', 'epoch-003.safetensors')]);
  assert.equal(listed.inputs.length, 3);
  assert.match(listed.notes.join('\n'), /the same file as .*studied once/);
  assert.equal(readFileSync(join(dir, 'stray.txt'), 'utf8'), 'x');
});
