/**
 * Lines stay readable: no .ts line in src, cli, test, bench or scripts is longer than 160
 * characters. Prettier breaks code at 120 but not strings or template literals; long ones are
 * split with + or built from parts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TREES = ['src', 'cli', 'test', 'bench', 'scripts'];
const MAX = 160;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `file:line (length)` for every line longer than `max` characters. */
export function longLines(files: string[], max: number): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => ([...line].length > max ? [`${relative(ROOT, file)}:${i + 1} (${[...line].length})`] : [])),
  );
}

test(`no .ts line in ${TREES.join(', ')} is longer than ${MAX} characters`, () => {
  const files = TREES.map((tree) => join(ROOT, tree))
    .filter((dir) => existsSync(dir))
    .flatMap(tsFiles);
  assert.ok(files.length > 100, `found only ${files.length} files`);
  assert.deepEqual(longLines(files, MAX), []);
});
