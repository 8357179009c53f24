/**
 * The library API as a user gets it: `npm pack` (which builds dist/ through `prepare`), the tarball
 * unpacked into a fresh project's node_modules, then plain Node (no tsx) imports 'weightscape' and
 * calls it, and TypeScript type-checks a consumer against the shipped declarations. The project
 * sits inside this checkout so that the package's own dependencies resolve from its node_modules
 * (no registry needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test(
  'npm pack → install the tarball → import { sampleLandscape, readResult, buildReport } from "weightscape" in plain Node and in TypeScript',
  { timeout: 600_000 },
  () => {
    const packDir = mkdtempSync(join(tmpdir(), 'weightscape-pack-'));
    const project = mkdtempSync(join(ROOT, '.pack-test-'));
    try {
      const packed = JSON.parse(
        execFileSync(NPM, ['pack', '--json', '--pack-destination', packDir], {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const files = packed[0]!.files.map((f) => f.path);
      for (const needed of [
        'dist/src/index.js',
        'dist/src/index.d.ts',
        'dist/src/landscape/sample-worker.mjs',
        'dist/src/backend/wasm-pthread-worker.cjs',
        'package.json',
        'bin/weightscape.js',
        'fixtures/data/mini-fashion-mnist/t10k-labels-idx1-ubyte.gz',
      ]) {
        assert.ok(files.includes(needed), `the tarball holds ${needed}`);
      }
      assert.ok(
        !files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')),
        'no tests or node_modules in the tarball',
      );

      const installed = join(project, 'node_modules', 'weightscape');
      mkdirSync(installed, { recursive: true });
      execFileSync('tar', ['-xzf', join(packDir, packed[0]!.filename), '-C', installed, '--strip-components', '1']);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));

      const landscape = join(ROOT, 'fixtures', 'results', 'pgd-at-filter-landscape.json');
      writeFileSync(
        join(project, 'use.mjs'),
        `
import { readResult, buildReport, parseRange, loadCheckpoint, sampleLandscape, startEngine, stopEngine, WeightscapeError } from 'weightscape';
import { parseAttack, parseDataSpec, parseDirection } from 'weightscape';
const result = readResult(${JSON.stringify(landscape)}, 'landscape');
const { files } = buildReport({ landscapes: [{ label: 'pgd-at', result }], evals: [], runs: [], flatness: [], correlations: [] }, { width: 560, height: 340 });
const checkpoint = loadCheckpoint(${JSON.stringify(join(ROOT, 'fixtures', 'models', 'mlp.safetensors'))});
const backend = await startEngine({ backend: 'cpu', onnxruntime: false });
const swept = sampleLandscape({
  settings: { checkpoint: checkpoint.path, data: parseDataSpec('mini'), split: 'test', subset: 20, batchSize: 20, loss: 'clean',
    attack: parseAttack('none'), fixedExamples: false, bn: 'eval', recalibrationBatches: 1, directions: [parseDirection('filter')],
    includeBn: false, alphas: parseRange('-1:1:3'), betas: null, seed: 0 },
  model: {}, backend,
});
await stopEngine();
let refused = '';
try { parseRange('0:0:5'); } catch (error) { refused = error instanceof WeightscapeError && error.isUserError ? 'user error' : 'other'; }
console.log(JSON.stringify({ flatness: result.flatness.adversarial.increaseMax, svg: Object.keys(files).includes('flatness-curves.svg'),
  tensors: checkpoint.tensors.size, points: swept.values.cleanLoss[0].length, complete: swept.complete, refused }));
`,
      );
      const run = spawnSync(process.execPath, ['use.mjs'], { cwd: project, encoding: 'utf8', timeout: 300_000 });
      assert.equal(run.status, 0, run.stderr);
      const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      assert.deepEqual(out, {
        flatness: 3.7354351043701173,
        svg: true,
        tensors: 6,
        points: 3,
        complete: true,
        refused: 'user error',
      });

      // The shipped declarations type-check a consumer (a wrong kind is a type error).
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['use.ts'],
        }),
      );
      writeFileSync(
        join(project, 'use.ts'),
        `
import { readResult, type LandscapeResult, type EvalResult } from 'weightscape';
const landscape: LandscapeResult = readResult('x.json', 'landscape');
const alphas: number[] = landscape.grid.alphas;
// @ts-expect-error an eval result is not a landscape
const wrong: EvalResult = readResult('x.json', 'landscape');
export { alphas, wrong };
`,
      );
      const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    } finally {
      rmSync(project, { recursive: true, force: true });
      rmSync(packDir, { recursive: true, force: true });
    }
  },
);
