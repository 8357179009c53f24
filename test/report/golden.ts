/**
 * Golden SVG files: a test fails when its golden file is missing or differs (writing `<name>-changed.svg`
 * beside it to compare); WEIGHTSCAPE_UPDATE_GOLDEN=1 writes the golden file instead, deliberately.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));

/** Compares `svg` with golden/<name>.svg. */
export function assertGolden(name: string, svg: string): void {
  const golden = `${GOLDEN}${name}.svg`;
  if (process.env.WEIGHTSCAPE_UPDATE_GOLDEN === '1') {
    writeFileSync(golden, svg);
    return;
  }
  assert.ok(existsSync(golden), `${golden} is missing: run with WEIGHTSCAPE_UPDATE_GOLDEN=1 to write it`);
  if (readFileSync(golden, 'utf8') !== svg) {
    writeFileSync(`${GOLDEN}${name}-changed.svg`, svg);
    assert.fail(
      `${name}.svg changed; compare with ${GOLDEN}${name}-changed.svg and rerun with WEIGHTSCAPE_UPDATE_GOLDEN=1 if intended`,
    );
  }
}
