/** Wall-clock timing for benchmark workloads: warm-up runs, then the median of timed runs. */
export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
  /** Every timed run, in order. */
  samples: number[];
}

/** Times `work` (which must finish its computation before returning, e.g. by reading a scalar). */
export function timeWorkload(work: () => void, { warmup = 2, runs = 7 } = {}): Timing {
  for (let i = 0; i < warmup; i++) work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)]!, minMs: sorted[0]!, runs, samples };
}
