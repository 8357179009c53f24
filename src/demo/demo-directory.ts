/**
 * Where the demo writes: a new or empty directory, or one holding an earlier demo, which is
 * replaced. The demo lists what it wrote in demo-manifest.json and removes exactly that; a
 * directory with anything else is refused, so a user's files are never deleted.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { readJsonFile } from '../results/read-json.ts';

export const DEMO_MANIFEST = 'demo-manifest.json';
const MANIFEST_SCHEMA = 'weightscape.demo-manifest/1';

/** What the demo wrote before it became a study (weightscape ≤ 0.1 with pgd-at/, pgd-at-awp/ beside the report). */
const EARLIER_LAYOUT = [
  'pgd-at',
  'pgd-at-awp',
  'pgd-at-eval.json',
  'pgd-at-awp-eval.json',
  'pgd-at-filter-landscape.json',
  'pgd-at-awp-filter-landscape.json',
  'pgd-at-adversarial-landscape.json',
  'pgd-at-awp-adversarial-landscape.json',
  'adversarial-direction-curves.svg',
  'combined.svg',
  'flatness-curves.svg',
  'training-curves.svg',
  'gap-table.csv',
  'gap-table.md',
  'gap-table.svg',
  'index.html',
];

/** A listed entry is a plain name inside the directory: never a path out of it. */
const plainName = (name: unknown): name is string =>
  typeof name === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && name !== DEMO_MANIFEST;

function manifestEntries(dir: string): string[] {
  const path = join(dir, DEMO_MANIFEST);
  const json = readJsonFile(path) as { schema?: unknown; written?: unknown };
  if (json.schema !== MANIFEST_SCHEMA || !Array.isArray(json.written) || !json.written.every(plainName))
    throw new WeightscapeError(
      'bad-file',
      `${path}: not a weightscape demo manifest; remove the directory or choose another --out`,
    );
  return json.written;
}

/**
 * Makes `dir` ready for a demo: nothing to do when it is new or empty; an earlier demo is removed
 * (what its manifest lists, or the earlier layout's files); anything else is refused, before any
 * work. Returns whether an earlier demo was replaced.
 */
export function prepareDemoDirectory(dir: string, flag = '--out'): boolean {
  if (!existsSync(dir)) return false;
  if (!statSync(dir).isDirectory())
    throw new WeightscapeError('bad-argument', `${flag} ${dir}: exists and is not a directory`);
  const present = readdirSync(dir).filter((name) => !name.endsWith('.lock'));
  if (present.length === 0) return false;
  let ours: string[];
  if (present.includes(DEMO_MANIFEST)) ours = [...manifestEntries(dir), DEMO_MANIFEST];
  else if (existsSync(join(dir, 'pgd-at', 'log.json')) && present.includes('index.html')) ours = EARLIER_LAYOUT;
  else ours = [];
  const foreign = present.filter((name) => !ours.includes(name));
  if (foreign.length > 0)
    throw new WeightscapeError(
      'bad-argument',
      `${flag} ${dir}: holds files the demo did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); ` +
        'choose another directory',
    );
  for (const name of present) rmSync(join(dir, name), { recursive: true, force: true });
  return true;
}

/** Records what the demo wrote, so that the next demo can replace exactly that. */
export function writeDemoManifest(dir: string, written: string[]): void {
  writeFileAtomic(join(dir, DEMO_MANIFEST), `${JSON.stringify({ schema: MANIFEST_SCHEMA, written }, null, 2)}\n`);
}
