/**
 * The import graph of src/: every arrow points down the data flow. Reads the import lines of every
 * module (static `import … from`, `export … from`, side-effect `import '…'`, dynamic `import('…')`
 * and worker files `new URL('./x.mjs', import.meta.url)`), type-only ones included, and checks
 * which folders may import which.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

interface Edge {
  /** Importing and imported file, relative to src/ with forward slashes (`report/build-report.ts`). */
  from: string;
  to: string;
  /** `import type` / `export type`: erased at run time (still an arrow of the design). */
  typeOnly: boolean;
}

const PATTERNS: Array<{ regex: RegExp; typeOnly: (match: RegExpExecArray) => boolean }> = [
  // import X, { a, type b } from '…' / import type { … } from '…' / import * as x from '…' (clauses may span lines)
  { regex: /^[ \t]*import\s+(type\s+)?[\w$*{},\s]*?\bfrom\s*['"]([^'"]+)['"]/gm, typeOnly: (m) => m[1] !== undefined },
  // export { a } from '…' / export type { … } from '…' / export * from '…'
  {
    regex: /^[ \t]*export\s+(type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*['"]([^'"]+)['"]/gm,
    typeOnly: (m) => m[1] !== undefined,
  },
  // import '…' (side effects)
  { regex: /^[ \t]*import\s*()['"]([^'"]+)['"]/gm, typeOnly: () => false },
  // import('…') and import(`…`) with a literal specifier
  { regex: /\bimport\s*\(\s*()['"`]([^'"`]+)['"`]\s*\)/g, typeOnly: () => false },
  // new Worker(new URL('./sample-worker.mjs', import.meta.url))
  {
    regex: /new\s+URL\(\s*()['"](\.{1,2}\/[^'"]+\.(?:ts|mjs|js|cjs))['"]\s*,\s*import\.meta\.url/g,
    typeOnly: () => false,
  },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

const srcRelative = (path: string) => relative(SRC, path).split(sep).join('/');

/** The imports of one module's text: relative specifiers only (packages are not src/ folders). */
function importsOf(text: string): Array<{ specifier: string; typeOnly: boolean }> {
  const found: Array<{ index: number; specifier: string; typeOnly: boolean }> = [];
  for (const { regex, typeOnly } of PATTERNS) {
    for (const match of text.matchAll(regex))
      found.push({ index: match.index, specifier: match[2]!, typeOnly: typeOnly(match) });
  }
  return found.sort((a, b) => a.index - b.index).map(({ specifier, typeOnly }) => ({ specifier, typeOnly }));
}

const edges: Edge[] = sourceFiles(SRC).flatMap((file) =>
  importsOf(readFileSync(file, 'utf8'))
    .filter(({ specifier }) => specifier.startsWith('.'))
    .map(({ specifier, typeOnly }) => ({
      from: srcRelative(file),
      to: srcRelative(resolve(dirname(file), specifier)),
      typeOnly,
    })),
);

/** The folder of src/ a file lies in (`report`), or the file itself at the top (`errors.ts`). */
const folderOf = (path: string) => path.split('/')[0]!;

function violations(from: string, forbidden: string[]): string[] {
  return edges
    .filter((e) => folderOf(e.from) === from && forbidden.includes(folderOf(e.to)))
    .map((e) => `${e.from} → ${e.to}${e.typeOnly ? ' (type)' : ''}`);
}

test('the parser finds every kind of import line', () => {
  const text = [
    "import { a, type B } from './a.ts';",
    "import type {\n  C,\n  D,\n} from '../c/d.ts';",
    "import * as tf from '@tensorflow/tfjs';",
    "export { e } from './e.ts';",
    "export type { F } from './f.ts';",
    "export * from './g.ts';",
    "import './h.ts';",
    "const x = await import('./i.ts');",
    "new Worker(new URL('./j.mjs', import.meta.url));",
    "const notAnImport = 'import from here';",
  ].join('\n');
  assert.deepEqual(importsOf(text), [
    { specifier: './a.ts', typeOnly: false },
    { specifier: '../c/d.ts', typeOnly: true },
    { specifier: '@tensorflow/tfjs', typeOnly: false },
    { specifier: './e.ts', typeOnly: false },
    { specifier: './f.ts', typeOnly: true },
    { specifier: './g.ts', typeOnly: false },
    { specifier: './h.ts', typeOnly: false },
    { specifier: './i.ts', typeOnly: false },
    { specifier: './j.mjs', typeOnly: false },
  ]);
  // The graph is read: report/ imports results/ (a canary against a parser that finds nothing).
  assert.ok(edges.some((e) => e.from === 'report/build-report.ts' && e.to === 'results/read-result.ts'));
});

test('backend/ does not import onnx/', () => {
  assert.deepEqual(violations('backend', ['onnx']), []);
});

test('onnx/ does not import backend/', () => {
  assert.deepEqual(violations('onnx', ['backend']), []);
});

test('report/ does not import landscape/, train/, eval/, attacks/ or models/', () => {
  assert.deepEqual(violations('report', ['landscape', 'train', 'eval', 'attacks', 'models']), []);
});

test('check/ does not import landscape/ or models/', () => {
  assert.deepEqual(violations('check', ['landscape', 'models']), []);
});

/** The code that computes results: readers of results never import it, not even for a type. */
const COMPUTE = [
  'landscape',
  'train',
  'eval',
  'attacks',
  'models',
  'directions',
  'onnx',
  'onnx-import',
  'backend',
  'checkpoints',
  'data',
  'demo',
  'hessian',
];

test('report/, check/ and stats/ read results through results/, never the code that computes them', () => {
  assert.deepEqual(violations('report', COMPUTE), []);
  assert.deepEqual(violations('check', [...COMPUTE, 'report', 'stats']), []);
  assert.deepEqual(violations('stats', [...COMPUTE, 'report', 'check']), []);
});

test('results/ (the schemas and their types) imports nothing of weightscape but errors.ts and package-root.ts', () => {
  assert.deepEqual(
    edges
      .filter(
        (e) => folderOf(e.from) === 'results' && !['results', 'errors.ts', 'package-root.ts'].includes(folderOf(e.to)),
      )
      .map((e) => `${e.from} → ${e.to}`),
    [],
  );
});

test('loading report/, check/, stats/ or results/ loads no module that computes results', () => {
  const runtime = new Map<string, string[]>();
  for (const e of edges) if (!e.typeOnly) runtime.set(e.from, [...(runtime.get(e.from) ?? []), e.to]);
  const offending: string[] = [];
  for (const start of edges
    .map((e) => e.from)
    .filter((f, i, all) => all.indexOf(f) === i && ['report', 'check', 'stats', 'results'].includes(folderOf(f)))) {
    // Depth-first over run-time imports, remembering the path that reached each module.
    const seen = new Set([start]);
    const stack: string[][] = [[start]];
    while (stack.length > 0) {
      const chain = stack.pop()!;
      for (const next of runtime.get(chain.at(-1)!) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        if (COMPUTE.includes(folderOf(next))) offending.push([...chain, next].join(' → '));
        else stack.push([...chain, next]);
      }
    }
  }
  assert.deepEqual(offending, []);
});
