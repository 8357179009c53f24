/**
 * The installed package's root (where package.json and fixtures/ are), found by walking up from
 * this file: the same code runs from src/ through tsx and from dist/src/ when compiled.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest package.json above this file that is weightscape's: its folder and version. */
function findPackage(): { root: string; version: string } {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (name === 'weightscape') return { root: dir, version: String(version) };
    }
    if (dirname(dir) === dir) throw new Error('weightscape: cannot find its package.json above its own files');
  }
}

const found = findPackage();

export const PACKAGE_ROOT = found.root;

/** weightscape's version, from its package.json. */
export const TOOL_VERSION = found.version;

/** A path inside the package (fixtures, for example). */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
