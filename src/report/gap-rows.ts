/**
 * The gap table's rows, and its flatness column: from complete 1D landscapes only (a 2D landscape
 * of the same checkpoint is no flatness measure), one named measure for the whole column (loss
 * kind, direction kind, ρ), chosen and matched without regard to the order of the inputs.
 */
import type { EvalResult } from '../results/eval-schema.ts';
import type { LandscapeResult } from '../results/landscape-schema.ts';
import type { TrainLog } from '../results/train-log-schema.ts';
import type { FlatnessMeasure, GapRow } from './gap-table.ts';

interface Labelled<T> {
  label: string;
  result: T;
}

/** One 1D landscape's flatness measure for the column: which measure, its value, whether its direction converged. */
interface Candidate {
  sha256: string;
  key: string;
  loss: 'clean' | 'adversarial';
  direction: string;
  rho: number;
  label: string;
  value: number;
  converged: boolean;
}

/** The kind of a direction spec: `file:…` and `interpolate:…` name files that vary per checkpoint. */
const directionKind = (spec: string) => spec.split(':')[0]!;
const DIRECTION_ORDER = ['filter', 'layer', 'random', 'adversarial', 'hessian', 'interpolate', 'file'];
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function candidate({ label, result }: Labelled<LandscapeResult>): Candidate | undefined {
  const sha256 = result.provenance.checkpoint?.sha256;
  if (result.grid.betas !== null || !result.complete || !result.flatness || sha256 === undefined) return undefined;
  // The landscape's own loss: its adversarial curve when it measured one.
  const loss = result.flatness.adversarial ? 'adversarial' : 'clean';
  const measured = result.flatness[loss]!;
  const direction = directionKind(result.settings.directions[0] ?? result.directions[0]?.spec ?? '?');
  const converged = result.directions.every((d) => d.converged !== false);
  return {
    sha256,
    key: `${loss}|${direction}|${measured.rho}`,
    loss,
    direction,
    rho: measured.rho,
    label,
    value: measured.increaseMax,
    converged,
  };
}

/** Orders measures: adversarial first, then the usual direction kinds, then ρ: a fixed preference. */
function compareMeasures(a: Candidate, b: Candidate): number {
  const rank = (d: string) => (DIRECTION_ORDER.includes(d) ? DIRECTION_ORDER.indexOf(d) : DIRECTION_ORDER.length);
  return (
    (a.loss === b.loss ? 0 : a.loss === 'adversarial' ? -1 : 1) ||
    rank(a.direction) - rank(b.direction) ||
    compareText(a.direction, b.direction) ||
    a.rho - b.rho
  );
}

function describe(c: Candidate): FlatnessMeasure {
  return {
    header: `${c.loss === 'adversarial' ? 'adv.' : 'clean'} loss, ${c.direction}, ρ = ${c.rho}`,
    description: `max increase of the ${c.loss} loss from α = 0 to ±${c.rho} along a ${c.direction} direction`,
  };
}

/**
 * The flatness column: the measure most eval checkpoints have (ties: compareMeasures), and per checkpoint its value.
 */
function flatnessColumn(
  landscapes: Array<Labelled<LandscapeResult>>,
  shas: string[],
): { measure?: FlatnessMeasure; lookup: (sha: string | undefined) => Candidate | undefined } {
  const candidates = landscapes
    .map(candidate)
    .filter((c): c is Candidate => c !== undefined && shas.includes(c.sha256));
  const coverage = new Map<string, { first: Candidate; checkpoints: Set<string> }>();
  for (const c of candidates) {
    const entry = coverage.get(c.key) ?? { first: c, checkpoints: new Set<string>() };
    entry.checkpoints.add(c.sha256);
    coverage.set(c.key, entry);
  }
  const chosen = [...coverage.values()].sort(
    (a, b) => b.checkpoints.size - a.checkpoints.size || compareMeasures(a.first, b.first),
  )[0];
  if (chosen === undefined) return { lookup: () => undefined };
  const key = chosen.first.key;
  return {
    measure: describe(chosen.first),
    // Two landscapes of one checkpoint with the same measure: the first by label, then by value.
    lookup: (sha) =>
      candidates
        .filter((c) => c.key === key && c.sha256 === sha)
        .sort((a, b) => compareText(a.label, b.label) || a.value - b.value)[0],
  };
}

/**
 * Rows from eval results (both splits, with an attack) and run logs (their last epoch), one per
 * checkpoint: a log's last epoch whose checkpoint an eval result measured is that result's row.
 */
export function gapRows(
  landscapes: Array<Labelled<LandscapeResult>>,
  evals: Array<Labelled<EvalResult>>,
  runs: Array<{ label: string; log: TrainLog }>,
): { rows: GapRow[]; measure?: FlatnessMeasure } {
  const usable = evals.filter(({ result }) => result.splits.train?.robust && result.splits.test?.robust);
  const { measure, lookup } = flatnessColumn(
    landscapes,
    usable.map(({ result }) => result.provenance.checkpoint?.sha256).filter((s): s is string => s !== undefined),
  );
  // One row per checkpoint: a run whose last epoch's checkpoint was also evaluated is that eval's row.
  const lastEpochs = runs.flatMap(({ label, log }) => {
    const last = log.epochs.at(-1);
    return last?.train.robust && last.test.robust
      ? [{ label, last, robust: [last.train.robust, last.test.robust] }]
      : [];
  });
  const evaluated = (sha: string | undefined) =>
    lastEpochs.find(({ last }) => sha !== undefined && last.checkpoint?.sha256 === sha);
  const rows: GapRow[] = [];
  for (const { label, result } of usable) {
    const train = result.splits.train!.robust!;
    const test = result.splits.test!.robust!;
    const sha = result.provenance.checkpoint?.sha256;
    const flat = lookup(sha);
    const logged = evaluated(sha);
    rows.push({
      label,
      trainRobustAccuracy: train.accuracy,
      testRobustAccuracy: test.accuracy,
      gap: train.accuracy - test.accuracy,
      testCleanAccuracy: result.splits.test!.clean.accuracy,
      flatness: flat?.value ?? null,
      ...(flat?.converged === false ? { flatnessNote: 'not converged' } : {}),
      source:
        logged === undefined
          ? { kind: 'eval' }
          : {
              kind: 'eval',
              log: { epoch: logged.last.epoch, gap: logged.robust[0]!.accuracy - logged.robust[1]!.accuracy },
            },
    });
  }
  const shas = new Set(usable.map(({ result }) => result.provenance.checkpoint?.sha256));
  for (const { label, last } of lastEpochs) {
    if (last.checkpoint?.sha256 !== undefined && shas.has(last.checkpoint.sha256)) continue;
    rows.push({
      label: `${label} (epoch ${last.epoch})`,
      trainRobustAccuracy: last.train.robust!.accuracy,
      testRobustAccuracy: last.test.robust!.accuracy,
      gap: last.train.robust!.accuracy - last.test.robust!.accuracy,
      testCleanAccuracy: last.test.clean.accuracy,
      flatness: null,
      source: { kind: 'log', epoch: last.epoch },
    });
  }
  return measure === undefined ? { rows } : { rows, measure };
}
