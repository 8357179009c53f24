/**
 * A split's metrics from its per-batch sums, in batch order: the one place where evaluateSplit and
 * the merge of eval shards add them up, so that a merged result is bit-identical to one process's.
 */
import { formatAttack, type AttackSpec, type PgdSpec } from '../attacks/attack-spec.ts';
import { memberAttacks } from '../attacks/autoattack.ts';
import { WeightscapeError } from '../errors.ts';
import type { BatchRecord } from '../results/eval-schema.ts';
import type { SplitMetrics } from '../results/schema-parts.ts';

export type { BatchRecord } from '../results/eval-schema.ts';

/** What the sums do not say: the attack and the masking check that made them, the seed, the data (for errors). */
export interface BatchContext {
  attack: AttackSpec;
  pgdCheck?: PgdSpec;
  seed: number;
  spec: string;
}

/** Clean, robust and check metrics, members and outcome of the examples of `records`, summed in order in float64. */
export function metricsFromBatches(records: readonly BatchRecord[], context: BatchContext): SplitMetrics {
  const { attack, pgdCheck, seed, spec } = context;
  let n = 0;
  const sums = { cleanLoss: 0, cleanCorrect: 0, robustLoss: 0, robustCorrect: 0, checkLoss: 0, checkCorrect: 0 };
  const outcomes: string[] = [];
  const fooledByMember: number[] = attack.kind === 'autoattack' ? attack.members.map(() => 0) : [];
  for (const record of records) {
    n += record.count;
    sums.cleanLoss += record.cleanLoss;
    sums.cleanCorrect += record.cleanCorrect;
    sums.robustLoss += record.robustLoss ?? 0;
    sums.robustCorrect += record.robustCorrect ?? 0;
    sums.checkLoss += record.checkLoss ?? 0;
    sums.checkCorrect += record.checkCorrect ?? 0;
    record.fooledByMember?.forEach((count, m) => (fooledByMember[m]! += count));
    if (record.outcome !== undefined) outcomes.push(record.outcome);
  }
  if (n === 0) throw new WeightscapeError('bad-argument', `no examples of ${spec} to evaluate`);
  const result: SplitMetrics = { count: n, clean: { loss: sums.cleanLoss / n, accuracy: sums.cleanCorrect / n } };
  if (attack.kind !== 'none') result.robust = { loss: sums.robustLoss / n, accuracy: sums.robustCorrect / n };
  if (outcomes.length > 0) result.outcome = outcomes.join('');
  if (attack.kind === 'autoattack') {
    let robust = sums.cleanCorrect;
    const attacks = memberAttacks(attack);
    result.members = fooledByMember.map((fooled, m) => {
      robust -= fooled;
      return { attack: attacks[m]!, seed, fooled, robustAccuracy: robust / n };
    });
  }
  if (pgdCheck !== undefined)
    result.pgdCheck = { attack: formatAttack(pgdCheck), loss: sums.checkLoss / n, accuracy: sums.checkCorrect / n };
  for (const value of [result.clean.loss, result.robust?.loss ?? 0]) {
    if (!Number.isFinite(value)) throw new WeightscapeError('numeric', `loss is ${value} on ${spec}`);
  }
  return result;
}
