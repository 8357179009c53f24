/**
 * Golden files of the gap table and the training curves: a change to either chart shows up as a
 * diff to review. A missing golden file fails the test (WEIGHTSCAPE_UPDATE_GOLDEN=1 writes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gapTableSvg, type GapRow } from '../../src/report/gap-table.ts';
import { trainingCurvesSvg } from '../../src/report/training-curves.ts';
import type { TrainLog } from '../../src/results/train-log-schema.ts';

const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));

function matchesGolden(name: string, svg: string): void {
  const path = `${GOLDEN}${name}`;
  if (process.env.WEIGHTSCAPE_UPDATE_GOLDEN === '1') writeFileSync(path, svg);
  assert.ok(existsSync(path), `${path} is missing: run with WEIGHTSCAPE_UPDATE_GOLDEN=1 once and review it`);
  if (readFileSync(path, 'utf8') !== svg) {
    writeFileSync(path.replace(/\.svg$/, '-changed.svg'), svg);
    assert.fail(
      `${name} changed; compare with ${name.replace(/\.svg$/, '-changed.svg')} and replace the golden file if intended`,
    );
  }
}

test('golden file: the gap table (one row per checkpoint, its source, units in the headers)', () => {
  const rows: GapRow[] = [
    {
      label: 'pgd-at',
      trainRobustAccuracy: 0.69,
      testRobustAccuracy: 0.553,
      gap: 0.137,
      testCleanAccuracy: 0.78,
      flatness: 0.41,
      source: { kind: 'eval', log: { epoch: 60, gap: 0.12 } },
    },
    {
      label: 'pgd-at-awp (epoch 60)',
      trainRobustAccuracy: 0.537,
      testRobustAccuracy: 0.519,
      gap: 0.018,
      testCleanAccuracy: 0.74,
      flatness: null,
      source: { kind: 'log', epoch: 60 },
    },
  ];
  matchesGolden('gap-table.svg', gapTableSvg(rows, 560));
});

test('golden file: training curves', () => {
  const epochs = Array.from({ length: 12 }, (_, i) => ({
    epoch: i + 1,
    train: { clean: { loss: 1, accuracy: 0.8 }, robust: { loss: 1, accuracy: 0.3 + 0.03 * i } },
    test: { clean: { loss: 1, accuracy: 0.7 }, robust: { loss: 1, accuracy: 0.3 + 0.012 * i } },
  }));
  const log = { schema: 'weightscape.train-log/1', config: {}, epochs } as unknown as TrainLog;
  matchesGolden('training-curves.svg', trainingCurvesSvg([{ label: 'pgd-at <&>', log }], { width: 560, height: 340 }));
});
