/**
 * `weightscape hessian` as a user runs it: one run with every part (eigenvalues, trace, density,
 * per-tensor blocks) that writes a result the report reads, with an eigenvalue stopped before it
 * converged flagged in the table and on stderr; and bad flags refused before any work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAnyResult } from '../../src/results/read-result.ts';
import type { HessianResult } from '../../src/results/hessian-schema.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const CHECKPOINT = fileURLToPath(new URL('../../fixtures/models/convnet-mnist.safetensors', import.meta.url));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const BASE = ['hessian', '--checkpoint', CHECKPOINT, '--data', 'mini', '--subset', '40', '--batch-size', '16'];

test('hessian writes eigenvalues, trace, density and per-tensor rows; a non-converged eigenvalue is flagged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-hessian-'));
  try {
    const out = join(dir, 'hessian.json');
    // Two Lanczos iterations cannot converge the top eigenvalue of this network's Hessian.
    const args = ['--top-k', '2', '--max-iterations', '2', '--trace', '--probes', '3', '--density'];
    const density = ['--density-runs', '2', '--density-steps', '6', '--points', '100', '--sigma', '0.02'];
    const { code, stdout, stderr } = run(...BASE, ...args, ...density, '--per-layer', '--out', out);
    assert.equal(code, 0, stderr);
    const result = readAnyResult(out);
    assert.equal(result.kind, 'hessian');
    const h = result.json as HessianResult;
    assert.equal(h.settings.examples, 40);
    assert.equal(h.eigenvalues.length, 2);
    assert.equal(h.lanczos.iterations, 2);
    const top = h.eigenvalues[0]!;
    assert.equal(top.converged, false);
    assert.ok(top.residual! > 1e-3, `residual ${top.residual}`);
    assert.match(stdout, new RegExp(`${top.value.toPrecision(6)} \\(not converged\\)`));
    assert.match(stderr, /note: top eigenvalue 1 did not converge in 2 Lanczos iterations/);
    assert.equal(h.trace!.probes, 3);
    assert.equal(h.density!.grid.length, 100);
    assert.equal(h.density!.runs.length, 2);
    assert.equal(h.perLayer!.length, 14);
    assert.equal(
      h.perLayer!.reduce((n, l) => n + l.parameters, 0),
      3574,
      'the blocks cover every parameter',
    );
    // A 4-element bias block is exhausted within 2 iterations only if its Krylov space is; either way it says which.
    for (const layer of h.perLayer!) assert.equal(typeof layer.topEigenvalue.converged, 'boolean');
    const report = run('report', out, '--out', join(dir, 'report'));
    assert.equal(report.code, 0, report.stderr);
    assert.ok(existsSync(join(dir, 'report', 'hessian-density.svg')));
    assert.match(readFileSync(join(dir, 'report', 'index.html'), 'utf8'), /\(not converged\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad hessian flags exit 2 with one line naming the flag, before loading anything', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--attack', 'pgd:linf:eps=0.1:steps=2'], /--attack: only with --loss adversarial/],
    [['--density', '--points', '100', '--sigma', '0.001'], /--sigma: 0\.001 is below one grid spacing of --points 100/],
    [['--top-k', '5', '--max-iterations', '3'], /--max-iterations: 3 cannot find --top-k 5 eigenvalues/],
    [['--trace', '--probes', '1'], /--probes: at least 2/],
  ];
  for (const [flags, message] of cases) {
    const { code, stderr } = run(...BASE, '--checkpoint', '/nonexistent/checkpoint.pt', ...flags);
    assert.equal(code, 2, `${flags.join(' ')}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});
