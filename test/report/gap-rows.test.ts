/** The gap table's rows: one per checkpoint, each saying where its numbers come from. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gapRows } from '../../src/report/gap-rows.ts';
import type { EvalResult } from '../../src/results/eval-schema.ts';
import type { TrainLog } from '../../src/results/train-log-schema.ts';

const evalOf = (sha: string, train: number, testAccuracy: number) =>
  ({
    splits: {
      train: { count: 300, clean: { loss: 1, accuracy: 0.9 }, robust: { loss: 1, accuracy: train } },
      test: { count: 1000, clean: { loss: 1, accuracy: 0.8 }, robust: { loss: 1, accuracy: testAccuracy } },
    },
    provenance: { checkpoint: { sha256: sha } },
  }) as unknown as EvalResult;
const logOf = (sha: string | undefined, train: number, testAccuracy: number) =>
  ({
    epochs: [
      {
        epoch: 8,
        train: { clean: { loss: 1, accuracy: 0.9 }, robust: { loss: 1, accuracy: train } },
        test: { clean: { loss: 1, accuracy: 0.8 }, robust: { loss: 1, accuracy: testAccuracy } },
        ...(sha === undefined ? {} : { checkpoint: { path: 'epochs/8.safetensors', sha256: sha } }),
      },
    ],
  }) as unknown as TrainLog;

test("a run's last epoch whose checkpoint was evaluated is that eval's row; other runs keep their log row", () => {
  const { rows } = gapRows(
    [],
    [{ label: 'pgd-at', result: evalOf('aaa', 0.7, 0.55) }],
    [
      { label: 'pgd-at', log: logOf('aaa', 0.72, 0.6) },
      { label: 'awp', log: logOf('bbb', 0.55, 0.52) },
      { label: 'old run', log: logOf(undefined, 0.5, 0.5) },
    ],
  );
  assert.deepEqual(
    rows.map((r) => [r.label, Number((100 * r.gap).toFixed(1)), r.source]),
    [
      ['pgd-at', 15, { kind: 'eval', log: { epoch: 8, gap: 0.72 - 0.6 } }],
      ['awp (epoch 8)', 3, { kind: 'log', epoch: 8 }],
      ['old run (epoch 8)', 0, { kind: 'log', epoch: 8 }],
    ],
  );
});
