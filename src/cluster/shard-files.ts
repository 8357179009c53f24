/**
 * The shard files `weightscape merge` is given: directories (every `*.json` directly inside) and
 * globs (`*` and `?` in the file name, for shells that did not expand them), read and checked as
 * one complete set: one count n, each index 0…n−1 exactly once, each shard's own work done.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { WeightscapeError } from '../errors.ts';
import type { Shard } from './shard-spec.ts';

/** One shard file as the merge sees it: its shard, and what of its own work is still to do. */
export interface ShardFile<T> {
  path: string;
  result: T;
  shard: Shard | null;
  /** Items of this shard not yet computed (a sweep still running or killed), 0 when done. */
  pending: number;
  /** What the items are, for messages ("points"). */
  items: string;
}

const hasGlob = (text: string) => /[*?[]/.test(text);

/** `*` any run of characters but `/`, `?` one character, `[abc]`/`[a-c]`/`[!abc]` one of a set; the rest literal. */
function globPattern(name: string): RegExp {
  let regex = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    const close = c === '[' ? name.indexOf(']', i + 2) : -1;
    if (c === '*') regex += '[^/]*';
    else if (c === '?') regex += '[^/]';
    else if (close > 0) {
      const body = name
        .slice(i + 1, close)
        .replace(/^!/, '^')
        .replace(/[\\\]]/g, '\\$&');
      regex += `[${body}]`;
      i = close;
    } else regex += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`);
}

/**
 * The files named by the inputs, sorted and without repeats: a directory gives its `*.json`
 * files, a glob the files it matches (none is not an error: a waiting merge may find them later).
 * `exclude` (the merge's own output) is never an input.
 */
export function listShardFiles(inputs: string[], exclude?: string): { files: string[]; unmatched: string[] } {
  const files = new Set<string>();
  const unmatched: string[] = [];
  for (const input of inputs) {
    if (hasGlob(input)) {
      const dir = dirname(input);
      if (hasGlob(dir))
        throw new WeightscapeError(
          'bad-argument',
          `merge ${input}: a glob may only be in the file name, not the directory`,
        );
      const pattern = globPattern(basename(input));
      const matches = existsSync(dir) ? readdirSync(dir).filter((name) => pattern.test(name)) : [];
      if (matches.length === 0) unmatched.push(input);
      for (const name of matches) files.add(join(dir, name));
    } else if (existsSync(input) && statSync(input).isDirectory()) {
      for (const name of readdirSync(input))
        if (name.endsWith('.json') && !name.startsWith('.')) files.add(join(input, name));
    } else {
      // A plain file must exist; reading it later says so with its path.
      files.add(input);
    }
  }
  const skip = exclude === undefined ? undefined : resolve(exclude);
  const sorted = [...files]
    .filter((f) => resolve(f) !== skip)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return { files: sorted, unmatched };
}

/** What is wrong with a set of shard files: refusals that waiting cannot cure, and what waiting may. */
export interface ShardSetProblems {
  /** Not one set (no shard recorded, different counts, a shard twice): refuse at once. */
  fatal: string[];
  /** Shards absent or not finished: refuse, or wait for them with --wait. */
  waiting: string[];
}

const name = (shard: Shard) => `${shard.index}/${shard.count}`;

/** Checks the files form one complete set; `expected` is the shard count the user named (--shards). */
export function checkShardSet<T>(files: ShardFile<T>[], expected?: number): ShardSetProblems {
  const fatal: string[] = [];
  const waiting: string[] = [];
  for (const f of files)
    if (f.shard === null)
      fatal.push(`${f.path} is not a shard (it records no --shard); merge joins the results of --shard runs`);
  const sharded = files.filter((f): f is ShardFile<T> & { shard: Shard } => f.shard !== null);
  const counts = [...new Set(sharded.map((f) => f.shard.count))];
  if (expected !== undefined && counts.some((c) => c !== expected))
    fatal.push(
      `--shards ${expected}: ${sharded
        .filter((f) => f.shard.count !== expected)
        .map((f) => `${f.path} is shard ${name(f.shard)}`)
        .join(', ')}`,
    );
  else if (counts.length > 1)
    fatal.push(`the shards are of different splits: ${sharded.map((f) => `${f.path} is ${name(f.shard)}`).join(', ')}`);
  const count = expected ?? counts[0];
  if (fatal.length > 0) return { fatal, waiting };
  const byIndex = new Map<number, Array<ShardFile<T>>>();
  for (const f of sharded) byIndex.set(f.shard.index, [...(byIndex.get(f.shard.index) ?? []), f]);
  for (const [index, same] of byIndex)
    if (same.length > 1)
      fatal.push(`shard ${index}/${count} appears ${same.length} times: ${same.map((f) => f.path).join(' and ')}`);
  if (count === undefined) {
    waiting.push('no shard files yet');
    return { fatal, waiting };
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    waiting.push(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')}`);
  for (const f of sharded)
    if (f.pending > 0)
      waiting.push(
        `${f.path} (shard ${name(f.shard)}) still lacks ${f.pending} ${f.items} (running, or killed: rerun it with --resume)`,
      );
  return { fatal, waiting };
}
