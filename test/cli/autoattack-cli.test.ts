import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const CHECKPOINT = fileURLToPath(new URL('../../fixtures/attacks/convnet-mini.pt', import.meta.url));
const EVAL = ['eval', '--checkpoint', CHECKPOINT, ...'--arch convnet --width 8 --hidden 32 --data mini'.split(' ')];

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('eval --attack autoattack: per-member robust accuracy, per-example outcome and the PGD-10 masking check in the result', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-autoattack-'));
  const out = join(dir, 'eval.json');
  const attack = 'autoattack:linf:eps=0.1:version=custom:attacks=apgd-ce+square:steps=20:queries=100';
  const result = run(...EVAL, '--split', 'test', '--subset', '60', '--attack', attack, '--out', out);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /after apgd:linf:eps=0\.1:loss=ce:steps=20:restarts=1:eot=1: robust [\d.]+% \(fooled \d+\)/,
  );
  assert.match(
    result.stdout,
    /pgd:linf:eps=0\.1:steps=10:step=0\.025:random-start=1:restarts=1:loss=ce \(masking check\)/,
  );
  const json = JSON.parse(readFileSync(out, 'utf8')) as {
    attack: string;
    splits: {
      test: {
        count: number;
        robust: { accuracy: number };
        outcome: string;
        members: Array<{ fooled: number; robustAccuracy: number }>;
        pgdCheck: { accuracy: number };
      };
    };
  };
  const split = json.splits.test;
  assert.equal(json.attack, `${attack.replace(':steps=20:queries=100', '')}:steps=20:restarts=1:eot=1:queries=100`);
  assert.equal(split.outcome.length, split.count);
  assert.equal(split.members.length, 2);
  assert.equal(split.members[1]!.robustAccuracy, split.robust.accuracy);
  assert.ok(split.robust.accuracy <= split.pgdCheck.accuracy);
  rmSync(dir, { recursive: true, force: true });
});

test('a bad AutoAttack spec exits 2 with one line naming the flag, before the backend starts', () => {
  const { code, stderr } = run(...EVAL, '--attack', 'autoattack:linf:eps=0.1:version=custom:attacks=apgd-ce+fab-t');
  assert.equal(code, 2, stderr);
  assert.equal(
    stderr.trim(),
    "weightscape: --attack autoattack:linf:eps=0.1:version=custom:attacks=apgd-ce+fab-t: unknown AutoAttack member 'fab-t' (apgd-ce, apgd-dlr, apgd-t, square)",
  );
});
