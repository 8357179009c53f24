/** A small eval result for report tests: both splits under PGD-20, the robust accuracies and checkpoint given. */
import type { EvalResult } from '../../src/results/eval-schema.ts';

export function syntheticEval(trainRobust: number, testRobust: number, sha256: string): EvalResult {
  return {
    schema: 'weightscape.eval/2',
    attack: 'pgd:linf:eps=0.1:steps=20',
    data: { spec: 'mini', subset: 64, splits: {} },
    provenance: { checkpoint: { sha256 } },
    splits: {
      train: { count: 10, clean: { loss: 0.4, accuracy: 0.9 }, robust: { loss: 1, accuracy: trainRobust } },
      test: { count: 10, clean: { loss: 0.5, accuracy: 0.8 }, robust: { loss: 1.2, accuracy: testRobust } },
    },
  } as unknown as EvalResult;
}
