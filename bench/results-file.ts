/**
 * bench/results.json across runs: a full run replaces it; a partial run (WEIGHTSCAPE_BENCH_WORKLOADS)
 * merges into it, so that re-measuring a few workloads never drops the others' rows.
 */

interface KeyedRow {
  engine: string;
  model: string;
  workload: string;
  threads: number;
  workers?: number;
  date?: string;
}

interface KeyedRatio {
  engine: string;
  model: string;
  threads: number;
}

interface RunResults {
  date: string;
  backend?: unknown;
  load: unknown;
  rows: KeyedRow[];
  secondOrder: KeyedRatio[];
  torch: unknown;
  notes: string[];
}

export const SECOND_ORDER_NOTES = [
  "parameter gradient: the mean cross-entropy's parameter gradients as the engine computes them " +
    '(ModelFunction.trainingGradients: BatchNorm batch statistics); PyTorch the same in train mode',
  'hessian-vector product: one exact H·v of the mean cross-entropy, BatchNorm eval, v a fixed random direction ' +
    '(ModelFunction.hessianVectorProduct); PyTorch float32 double backward in eval mode',
  'secondOrder: hvpPerGradient = HVP ms / gradient ms of the same engine (target ≤ 3); hvpSpeedupOverTorch = ' +
    "PyTorch's HVP ms / weightscape's (target ≥ 1); torchGradientEvalMs: PyTorch's gradient in eval mode, for reference",
  'preact-resnet18 (width 64): the full-width model, onnxruntime only, second-order workloads only ' +
    '(WEIGHTSCAPE_BENCH_FULL_WIDTH=0 skips it); GFLOP/s not counted',
  'load: os.loadavg() before and after the run (the machine is shared)',
];

const rowKey = (r: KeyedRow) => JSON.stringify([r.engine, r.model, r.workload, r.threads, r.workers ?? null]);
const ratioKey = (r: KeyedRatio) => JSON.stringify([r.engine, r.model, r.threads]);

/**
 * The previous results with this partial run's rows and ratios in place of the same keys (each
 * new row dated), and the run itself recorded under `partialRuns`.
 */
export function mergePartialRun(previous: object, run: RunResults, workloads: string[]): object {
  const old = previous as Partial<RunResults> & { partialRuns?: unknown[] };
  const rows = run.rows.map((r) => ({ ...r, date: run.date }));
  const replaced = new Set(rows.map(rowKey));
  const ratios = new Set(run.secondOrder.map(ratioKey));
  return {
    ...old,
    notes: [
      ...new Set([...(old.notes ?? []), ...run.notes, 'rows with a date: merged in by a partial run (partialRuns)']),
    ],
    rows: [...(old.rows ?? []).filter((r) => !replaced.has(rowKey(r))), ...rows],
    secondOrder: [...(old.secondOrder ?? []).filter((r) => !ratios.has(ratioKey(r))), ...run.secondOrder],
    partialRuns: [
      ...(old.partialRuns ?? []),
      { date: run.date, workloads, backend: run.backend, load: run.load, torch: run.torch },
    ],
  };
}
