/**
 * Property tests over the parsers of user strings given on the command line: ranges, shards,
 * number flags, model flags and global flags. For every generated input a parser either returns a
 * well-formed value or throws a user error whose message is one line (exit 2 through the CLI's
 * error handler); never another exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { handleError } from '../../cli/handle-error.ts';
import { modelRequest } from '../../cli/model-options.ts';
import { globalOptionsSchema } from '../../cli/options.ts';
import { positiveInteger, positiveNumber } from '../../cli/parse-number.ts';
import { parseRange, parseShard } from '../../src/landscape/grid.ts';

const RUNS = { seed: 15, numRuns: 300 };

/** Runs `parse`; a thrown error must map to exit 2 with exactly one line. */
function succeedsOrExits2<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    const lines: string[] = [];
    const code = handleError(error, false, (line) => lines.push(line));
    assert.equal(code, 2, `exit code for ${String(error)}`);
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes('\n'), `one line: ${JSON.stringify(lines[0])}`);
    assert.ok(!lines[0]!.includes('internal error'), lines[0]);
    return undefined;
  }
}

/** Strings near the grammar `start:stop:count`: numbers, fractions, junk, separators. */
const rangeLike = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc
    .tuple(
      fc.oneof(
        fc.double(),
        fc.integer({ min: -5, max: 5 }).map(String),
        fc.constantFrom('', '1e309', 'NaN', '-0', '0x10', ' 1', '1/2'),
      ),
      fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('', 'Infinity', '2e-320')),
      fc.oneof(
        fc.integer({ min: -3, max: 200_000 }).map(String),
        fc.constantFrom('0', '1', '2', '3', '1.5', '1e5', '1e12', ''),
      ),
    )
    .map(([a, b, c]) => `${String(a)}:${String(b)}:${c}`),
);

test('ranges: a grid of finite, distinct, bounded points, or one line and exit 2', () => {
  fc.assert(
    fc.property(rangeLike, (text) => {
      const alphas = succeedsOrExits2(() => parseRange(text));
      if (alphas === undefined) return;
      assert.ok(alphas.length >= 1 && alphas.length <= 100_000, `${text}: ${alphas.length} points`);
      assert.ok(alphas.every(Number.isFinite), `${text}: finite points`);
      assert.equal(new Set(alphas).size, alphas.length, `${text}: distinct points`);
    }),
    RUNS,
  );
});

test('shards: 0 ≤ i < n, or one line and exit 2', () => {
  const shardLike = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.tuple(fc.integer({ min: -2, max: 40 }), fc.integer({ min: -2, max: 40 })).map(([i, n]) => `${i}/${n}`),
  );
  fc.assert(
    fc.property(shardLike, (text) => {
      const shard = succeedsOrExits2(() => parseShard(text));
      if (shard === undefined) return;
      assert.ok(
        Number.isInteger(shard.index) && Number.isInteger(shard.count) && shard.index >= 0 && shard.index < shard.count,
        text,
      );
    }),
    RUNS,
  );
});

test('number flags: positive integers and positive finite numbers, or one line and exit 2', () => {
  const numberLike = fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.double().map(String),
    fc.integer().map(String),
    fc.constantFrom('1e400', '-0', '0x1f', ' 7 ', ''),
  );
  fc.assert(
    fc.property(numberLike, (text) => {
      const n = succeedsOrExits2(() => positiveInteger('subset', text));
      if (n !== undefined) assert.ok(Number.isSafeInteger(n) && n >= 1, text);
      const x = succeedsOrExits2(() => positiveNumber('rho', text));
      if (x !== undefined) assert.ok(Number.isFinite(x) && x > 0, text);
    }),
    RUNS,
  );
});

test('model flags (--classes, --mean/--std, architecture options) and global flags: a typed value or one line and exit 2', () => {
  const list = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.array(fc.oneof(fc.double(), fc.constantFrom('', 'x', '0')), { maxLength: 4 }).map((v) => v.join(',')),
  );
  const flags = fc.record({
    classes: fc.option(fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -2, max: 2000 }).map(String)), {
      nil: undefined,
    }),
    mean: fc.option(list, { nil: undefined }),
    std: fc.option(list, { nil: undefined }),
    width: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(flags, (f) => {
      const request = succeedsOrExits2(() => modelRequest(f));
      if (request === undefined) return;
      if (request.classes !== undefined) assert.ok(Number.isInteger(request.classes) && request.classes >= 2);
      if (request.normalization !== undefined) {
        assert.equal(request.normalization.mean.length, request.normalization.std.length);
        assert.ok(request.normalization.std.every((s) => Number.isFinite(s) && s > 0));
      }
    }),
    RUNS,
  );
  const globals = fc.record({
    seed: fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.integer().map(String)), { nil: undefined }),
    threads: fc.option(fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -1, max: 20 }).map(String)), {
      nil: undefined,
    }),
  });
  fc.assert(
    fc.property(globals, (g) => {
      const options = succeedsOrExits2(() => globalOptionsSchema.parse(g));
      if (options === undefined) return;
      assert.ok(Number.isSafeInteger(options.seed) && options.seed >= 0);
    }),
    RUNS,
  );
});
