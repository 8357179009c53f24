/** Wall-clock timing for benchmark workloads: warm-up runs, then the median of timed runs. */
export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
  /** Every timed run, in order. */
  samples: number[];
}

/** The median of `values` (the upper one of an even count), as every benchmark row reports it. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** load average (1, 5, 15 min) before and after a run, as the benchmark prints it. */
export function loadAverageLine(before: number[], after: number[]): string {
  const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(', ');
  return `load average (1, 5, 15 min): before ${loads(before)}; after ${loads(after)}`;
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
  return { medianMs: median(samples), minMs: Math.min(...samples), runs, samples };
}
