/**
 * The installed package's root (where package.json and fixtures/ are), found by walking up from
 * this file: the same code runs from src/ through tsx and from dist/src/ when compiled.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'weightscape'
    )
      return dir;
    if (dirname(dir) === dir) throw new Error('weightscape: cannot find its package.json above its own files');
  }
}

export const PACKAGE_ROOT = findRoot();

/** weightscape's version, from its package.json. */
export const TOOL_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** A path inside the package (fixtures, for example). */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
