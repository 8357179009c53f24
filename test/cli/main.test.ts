import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('weightscape backend --json names the active backend and probes all four', () => {
  const { code, stdout } = run('--backend', 'wasm', 'backend', '--json');
  assert.equal(code, 0);
  const report = JSON.parse(stdout) as {
    active: { name: string; simd: boolean; fastGradients: boolean };
    backends: { name: string; loads: boolean }[];
  };
  assert.equal(report.active.name, 'wasm');
  assert.equal(report.active.fastGradients, true);
  assert.equal(report.active.simd, true);
  assert.deepEqual(
    report.backends.map((b) => b.name),
    ['node-gpu', 'node', 'wasm', 'cpu'],
  );
  assert.equal(report.backends.find((b) => b.name === 'cpu')?.loads, true);
});

test('an unknown --backend exits 2 with one line naming the flag and the choices', () => {
  const { code, stderr } = run('--backend', 'gpu', 'backend');
  assert.equal(code, 2);
  assert.match(stderr, /--backend <name>' argument 'gpu' is invalid\. Allowed choices are node-gpu, node, wasm, cpu/);
});

test('a negative --seed exits 2 with one clear line and no stack trace', () => {
  const { code, stderr } = run('--seed', '-3', 'backend');
  assert.equal(code, 2);
  assert.equal(stderr.trim(), 'weightscape: --seed: expected a non-negative integer');
});

test('an unknown command exits 2; --help exits 0 and lists the commands', () => {
  assert.equal(run('flatten').code, 2);
  const help = run('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--backend <name>/);
  assert.match(help.stdout, /backend \[options\]\s+list the TensorFlow\.js backends/);
});
