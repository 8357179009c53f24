/**
 * `weightscape merge` on a directory or a glob of shard files: it refuses a set with a shard
 * missing, twice or unfinished (naming them), and with --wait it waits until the set is complete.
 * The shard files are cut from one complete sweep (each keeps only its own points), so the merge
 * must give that sweep's values back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listShardFiles } from '../../src/cluster/shard-files.ts';
import type { LandscapeResult } from '../../src/landscape/sample-landscape.ts';

const BIN = fileURLToPath(new URL('../../bin/weightscape.js', import.meta.url));
const CHECKPOINT = fileURLToPath(new URL('../../fixtures/models/convnet-mnist.safetensors', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'weightscape-merge-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

/** A complete 7-point sweep, and shard i/3 of it as the sampler would have written it. */
const wholePath = join(dir, 'whole.json');
const made = cli(
  ...['sample', '--checkpoint', CHECKPOINT, '--data', 'mini', '--subset', '16', '--range', '-1:1:7'],
  ...['--out', wholePath],
);
const whole = JSON.parse(readFileSync(wholePath, 'utf8')) as LandscapeResult;

function shardOf(index: number, drop = 0): LandscapeResult {
  const keep = (row: (number | null)[]) => row.map((v, k) => (k % 3 === index ? v : null));
  const values = Object.fromEntries(
    Object.entries(whole.values).map(([name, table]) => [name, table === null ? null : table.map(keep)]),
  ) as LandscapeResult['values'];
  // Unfinished: the last `drop` of its points not computed yet.
  const own = [0, 1, 2, 3, 4, 5, 6].filter((k) => k % 3 === index).slice(-drop || 7);
  if (drop > 0) for (const k of own) values.cleanLoss[0]![k] = null;
  return { ...whole, shard: { index, count: 3 }, complete: false, flatness: null, values };
}
const write = (path: string, result: LandscapeResult) => writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);

test('globs and directories list their files; a pattern that matches nothing is named', () => {
  assert.equal(made.status, 0, made.stderr);
  const listing = join(dir, 'listing');
  mkdirSync(listing);
  for (const name of [
    'shard-0.json',
    'shard-1.json',
    'shard-10.json',
    'shard-2.json',
    'shard-2.json.lock',
    'notes.txt',
  ])
    writeFileSync(join(listing, name), '{}');
  const names = (inputs: string[]) => listShardFiles(inputs).files.map((f) => f.slice(listing.length + 1));
  assert.deepEqual(names([listing]), ['shard-0.json', 'shard-1.json', 'shard-2.json', 'shard-10.json']);
  assert.deepEqual(names([join(listing, 'shard-?.json')]), ['shard-0.json', 'shard-1.json', 'shard-2.json']);
  assert.deepEqual(names([join(listing, 'shard-[!1].json')]), ['shard-0.json', 'shard-2.json']);
  assert.deepEqual(names([join(listing, 'shard-[0-1]*.json')]), ['shard-0.json', 'shard-1.json', 'shard-10.json']);
  assert.deepEqual(listShardFiles([join(listing, 'x-*.json')]).unmatched, [join(listing, 'x-*.json')]);
  assert.deepEqual(names([listing, join(listing, 'shard-1.json')]).length, 4, 'no file twice');
});

test('a shard twice is refused at once, naming both files', () => {
  const twice = join(dir, 'twice');
  mkdirSync(twice);
  [0, 1, 2].forEach((i) => write(join(twice, `shard-${i}.json`), shardOf(i)));
  copyFileSync(join(twice, 'shard-1.json'), join(twice, 'copy-of-1.json'));
  const out = join(dir, 'twice-merged.json');
  const result = cli('merge', twice, '--wait', '30', '--out', out);
  assert.equal(result.status, 2);
  assert.equal(
    result.stderr.trim(),
    `weightscape: merge: shard 1/3 appears 2 times: ${join(twice, 'copy-of-1.json')} and ${join(twice, 'shard-1.json')}`,
  );
});

test('an unfinished shard is named, and after --wait the merge gives up with exit 2', () => {
  const partial = join(dir, 'partial');
  mkdirSync(partial);
  [0, 1].forEach((i) => write(join(partial, `shard-${i}.json`), shardOf(i)));
  write(join(partial, 'shard-2.json'), shardOf(2, 1));
  const result = cli('merge', partial, '--wait', '1', '--out', join(dir, 'partial-merged.json'));
  assert.equal(result.status, 2);
  assert.match(
    result.stderr,
    /^weightscape: merge: .*shard-2\.json \(shard 2\/3\) still lacks 1 points \(running, or killed: rerun it with --resume\) \(after waiting 1 s\)$/m,
  );
});

test('--wait: a merge started before the last shard exists waits for it, then joins the set into the whole sweep', async () => {
  const shards = join(dir, 'shards');
  mkdirSync(shards);
  [0, 2].forEach((i) => write(join(shards, `shard-${i}.json`), shardOf(i)));
  const out = join(dir, 'merged.json');
  const child = spawn(process.execPath, [BIN, 'merge', join(shards, 'shard-*.json'), '--wait', '120', '--out', out]);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    // The last shard arrives once the merge has said what it waits for.
    if (/waiting: missing shard 1\/3/.test(stderr)) write(join(shards, 'shard-1.json'), shardOf(1));
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^merge: waiting: missing shard 1\/3$/m);
  const merged = JSON.parse(readFileSync(out, 'utf8')) as LandscapeResult;
  assert.equal(merged.complete, true);
  assert.equal(merged.shard, null);
  assert.deepEqual(merged.values, whole.values);
  assert.deepEqual(merged.flatness, whole.flatness);
});
