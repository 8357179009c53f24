/**
 * `npm run bench`: the benchmark suite on the backend in use (WEIGHTSCAPE_BACKEND overrides it;
 * WEIGHTSCAPE_BENCH_THREADS lists thread counts to run, default: one per core), twice where
 * onnxruntime loads: everything on the tfjs backend (`--no-onnxruntime`), and with the onnxruntime
 * fast path (the CLI's default); beside the same workloads in PyTorch with the same thread count
 * when Debian's python3-torch is installed.
 * For convnet (28×28×1) and preact-resnet18 width 16 (32×32×3), batch 128: forward, input
 * gradient, weight step, PGD-10, training steps (PGD-AT + AWP, TRADES + AWP, MART) and adversarial
 * landscape point; then the memory of a 21-point adversarial sweep on preact-resnet18. Second order:
 * a parameter gradient and an exact Hessian-vector product per model and engine, with their cost ratio; then, as a
 * separate part (WEIGHTSCAPE_BENCH_FULL_WIDTH=0 skips it), the same two on the full-width
 * preact-resnet18 (width 64) on onnxruntime. WEIGHTSCAPE_BENCH_WORKLOADS selects workloads by name
 * (comma-separated, 'landscape point' included); such a partial run skips the memory sweeps and
 * merges its rows into bench/results.json instead of replacing it; WEIGHTSCAPE_BENCH_WASM=0 skips the
 * engine without onnxruntime (no GFLOP/s then: they are counted on it). Prints tables, writes
 * bench/results.json. Last, on full runs, the full-size part (bench/full-size.ts: full-width
 * PreActResNet-18 and WideResNet-34-10 beside PyTorch, with peak memory; WEIGHTSCAPE_BENCH_FULL_SIZE=0
 * skips it, `npm run bench:full-size` runs it alone).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseBackendName, releaseBackend, selectBackend, type BackendInfo } from '../src/backend/select-backend.ts';
import { releaseEngine } from '../src/models/engine-registry.ts';
import type { ModelConfig } from '../src/models/types.ts';
import { selectEngine } from '../src/onnx/select-engine.ts';
import { writeFileAtomic } from '../src/results/atomic-write.ts';
import { countFlops } from './flops.ts';
import { secondsPerPoint, prepareSweep } from './sweep.ts';
import { loadAverageLine, timeWorkload } from './timing.ts';
import { runTorchScript } from './torch-reference.ts';
import {
  BENCH_BATCH,
  BENCH_MODELS,
  FULL_WIDTH_MODEL,
  modelWorkloads,
  SECOND_ORDER_WORKLOADS,
  TRAINING_STEP_WORKLOADS,
  WORKLOAD_NAMES,
  type WorkloadName,
} from './workloads.ts';
import { mergePartialRun, SECOND_ORDER_NOTES } from './results-file.ts';
import { fullSizeSelectionFromEnv, runFullSize, storeFullSize, FULL_SIZE_HEADER, fullSizeLine } from './full-size.ts';
import { secondOrderLines, secondOrderRatios, type TorchBars } from './second-order.ts';

const LANDSCAPE_POINTS = 4;
const MEMORY_POINTS = [5, 21];

interface Row {
  /** 'wasm' (or the tfjs backend's name) alone, or '+onnxruntime'. */
  engine: string;
  model: string;
  workload: string;
  threads: number;
  /** Worker threads (landscape points only; each runs a one-thread backend). */
  workers?: number;
  ms: number;
  imagesPerSecond: number;
  /** Absent where not counted (the full-width model runs on onnxruntime only, which tf.profile cannot see). */
  gflops?: number;
  torchMs?: number;
  ratio?: number;
  /** When the row was measured, for rows merged in by a partial run (WEIGHTSCAPE_BENCH_WORKLOADS). */
  date?: string;
}

const requested = process.env.WEIGHTSCAPE_BACKEND;
const backendName = requested === undefined ? undefined : parseBackendName(requested);
const cores = os.cpus().length;
const threadCounts = (process.env.WEIGHTSCAPE_BENCH_THREADS ?? String(Math.min(cores, 8))).split(',').map(Number);
const selection = process.env.WEIGHTSCAPE_BENCH_WORKLOADS?.split(',').map((w) => w.trim());
const knownWorkloads: string[] = [...WORKLOAD_NAMES, 'landscape point'];
for (const w of selection ?? [])
  if (!knownWorkloads.includes(w))
    throw new Error(`WEIGHTSCAPE_BENCH_WORKLOADS: unknown workload '${w}' (known: ${knownWorkloads.join(', ')})`);
const selected = (w: string) => selection === undefined || selection.includes(w);
const workloadNames = WORKLOAD_NAMES.filter(selected);
const secondOrder = SECOND_ORDER_WORKLOADS.filter(selected);
const fullWidth = process.env.WEIGHTSCAPE_BENCH_FULL_WIDTH !== '0' && secondOrder.length > 0;
const loadBefore = os.loadavg();
const rows: Row[] = [];
const torchRuns: Record<string, unknown> = {};
const torchBars: TorchBars = {};
let backend: BackendInfo | undefined;

let engine = '';
/** FLOPs by model and workload, counted from the tfjs kernels of the engine without onnxruntime. */
const flopsCounted: Record<string, number> = {};

function row(
  model: string,
  workload: string,
  threads: number,
  ms: number,
  flops: number | undefined,
  workers?: number,
): Row {
  const r: Row = { engine, model, workload, threads, ms, imagesPerSecond: (BENCH_BATCH / ms) * 1000 };
  if (flops !== undefined) r.gflops = flops / ms / 1e6;
  if (workers !== undefined) r.workers = workers;
  process.stderr.write(
    `  ${engine} · ${model} · ${workload}${workers === undefined ? '' : ` · ${workers} workers`}: ${ms.toFixed(1)} ms\n`,
  );
  return r;
}

const wasmEngine = process.env.WEIGHTSCAPE_BENCH_WASM !== '0';
const onnxruntimeEngines: Array<{ onnxruntime: boolean }> = [
  ...(wasmEngine ? [{ onnxruntime: false }] : []),
  { onnxruntime: true },
];
let onnxruntimeLoads = false;
type TorchTimes = Record<string, Record<string, number>>;
const torchArgs = [
  ...(selection === undefined ? [] : ['--workloads', selection.join(',')]),
  ...(fullWidth ? ['--full-width'] : []),
];
const torchTimes = (threads: number) =>
  runTorchScript('torch_workloads.py', ['--threads', String(threads), ...torchArgs]) as TorchTimes | undefined;

/** Times one workload: the first run warms up (and FLOPs are counted on the tfjs engine), then the median. */
async function measure(
  name: string,
  workload: WorkloadName,
  run: () => void,
  threads: number,
  countable: boolean,
): Promise<Row> {
  run(); // warm-up, and the profile below must not include first-call setup
  // tf.profile sees only tfjs kernels: count once, on the engine without onnxruntime.
  let flops: number | undefined;
  if (countable) flops = flopsCounted[`${name}:${workload}`] ??= await countFlops(run);
  const heavy = workload === 'pgd-10' || TRAINING_STEP_WORKLOADS.includes(workload) || !countable;
  const timing = timeWorkload(run, heavy ? { warmup: 0, runs: 3 } : { warmup: 1, runs: 5 });
  return row(name, workload, threads, timing.medianMs, flops);
}

/** FLOPs of a workload not timed in this run (landscape points need PGD-10's and the forward's). */
async function workloadFlops(name: string, config: ModelConfig, workload: WorkloadName): Promise<number> {
  const key = `${name}:${workload}`;
  if (flopsCounted[key] === undefined) {
    const workloads = modelWorkloads(config);
    try {
      workloads.run[workload]();
      flopsCounted[key] = await countFlops(workloads.run[workload]);
    } finally {
      workloads.dispose();
    }
  }
  return flopsCounted[key];
}

/** Per workload, the faster of two PyTorch runs (this machine drifts; the faster is the fair bar). */
function fastest(a: TorchTimes, b: TorchTimes | undefined): TorchTimes {
  return Object.fromEntries(
    Object.entries(a).map(([model, times]) => [
      model,
      Object.fromEntries(
        Object.entries(times).map(([workload, ms]) => [workload, Math.min(ms, b?.[model]?.[workload] ?? ms)]),
      ),
    ]),
  );
}

for (const threads of threadCounts) {
  // PyTorch runs before and after weightscape's engines, so that drift of the machine's speed
  // during the run cannot flatter either side.
  const torchBefore = torchTimes(threads);
  const firstRow = rows.length;
  for (const { onnxruntime } of onnxruntimeEngines) {
    const tfjsBackend = await selectBackend(backendName, { wasmThreads: threads });
    backend = { ...tfjsBackend, ...selectEngine(tfjsBackend.name, { onnxruntime, threads }).record };
    if (onnxruntime && backend.onnxruntime === undefined) {
      process.stderr.write(`onnxruntime fast path skipped: ${backend.onnxruntimeOff}\n`);
      continue;
    }
    onnxruntimeLoads ||= onnxruntime;
    engine = onnxruntime ? `${backend.name}+onnxruntime` : backend.name;
    process.stderr.write(`${engine}, ${backend.threads ?? threads} thread(s); batch ${BENCH_BATCH}\n`);
    for (const { name, config } of BENCH_MODELS) {
      const workloads = modelWorkloads(config);
      try {
        for (const workload of workloadNames)
          rows.push(await measure(name, workload, workloads.run[workload], threads, wasmEngine));
      } finally {
        workloads.dispose();
      }
      if (!selected('landscape point')) continue;
      // A landscape point: PGD-10 against the perturbed model, then the clean and adversarial loss.
      const pointFlops = wasmEngine
        ? (await workloadFlops(name, config, 'pgd-10')) + 2 * (await workloadFlops(name, config, 'forward'))
        : undefined;
      const sweep = prepareSweep(config);
      try {
        const request = { settings: sweep.settings(LANDSCAPE_POINTS), model: {}, backend };
        const inProcess = await secondsPerPoint(request, LANDSCAPE_POINTS, 1);
        rows.push(row(name, 'landscape point', threads, inProcess * 1000, pointFlops));
        if (backend.name === 'wasm' && threads > 1 && !onnxruntime) {
          const inWorkers = await secondsPerPoint(request, LANDSCAPE_POINTS, threads);
          rows.push(row(name, 'landscape point', threads, inWorkers * 1000, pointFlops, threads));
        }
      } finally {
        sweep.dispose();
      }
    }
    if (fullWidth && onnxruntime) {
      // Full width: seconds per workload at batch 128; onnxruntime only (the WASM engine would take minutes).
      process.stderr.write(`full-width part (WEIGHTSCAPE_BENCH_FULL_WIDTH=0 skips it): ${FULL_WIDTH_MODEL.name}\n`);
      const workloads = modelWorkloads(FULL_WIDTH_MODEL.config);
      try {
        for (const workload of secondOrder)
          rows.push(await measure(FULL_WIDTH_MODEL.name, workload, workloads.run[workload], threads, false));
      } finally {
        workloads.dispose();
      }
    }
  }
  const torchAfter = torchBefore === undefined ? undefined : torchTimes(threads);
  torchRuns[String(threads)] = torchBefore === undefined ? null : { before: torchBefore, after: torchAfter ?? null };
  if (torchBefore !== undefined) {
    const bar = fastest(torchBefore, torchAfter);
    torchBars[String(threads)] = bar;
    for (const r of rows.slice(firstRow)) {
      const torchMs = bar[r.model]?.[r.workload];
      if (torchMs !== undefined) Object.assign(r, { torchMs, ratio: torchMs / r.ms });
    }
  }
}
releaseEngine();
await releaseBackend();

// Memory: each sweep in its own process, so that peak resident sizes compare (full runs only).
const memory = onnxruntimeEngines
  .filter(({ onnxruntime }) => selection === undefined && (!onnxruntime || onnxruntimeLoads))
  .flatMap(({ onnxruntime }) =>
    MEMORY_POINTS.map((points) => {
      const script = fileURLToPath(new URL('./memory-sweep.ts', import.meta.url));
      const threads = threadCounts[threadCounts.length - 1]!;
      const args = [
        '--import',
        'tsx',
        script,
        String(points),
        String(threads),
        ...(onnxruntime ? ['onnxruntime'] : []),
      ];
      const child = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 1_800_000 });
      if (child.status !== 0)
        throw new Error(`memory-sweep.ts ${points} failed: ${child.stderr.trim().split('\n').pop()}`);
      const figures = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
        points: number;
        engine: string;
        seconds: number;
        peakRssMb: number;
        rssAfterPoint: number[];
        tensorsAfterPoint: number[];
      };
      process.stderr.write(
        `  memory (${figures.engine}): ${points}-point adversarial sweep, preact-resnet18 (width 16): peak RSS ${figures.peakRssMb} MB\n`,
      );
      return figures;
    }),
  );

const header =
  'engine            model                        workload                threads      ms     img/s  GFLOP/s   torch ms  weightscape/torch';
const lines = rows.map(
  (r) =>
    `${r.engine.padEnd(18)}${r.model.padEnd(29)}` +
    `${(r.workload + (r.workers === undefined ? '' : ` ×${r.workers}w`)).padEnd(24)}${String(r.threads).padStart(7)}` +
    `${r.ms.toFixed(1).padStart(9)}${r.imagesPerSecond.toFixed(1).padStart(10)}${(r.gflops?.toFixed(1) ?? '-').padStart(9)}` +
    `${r.torchMs === undefined ? '          -' : r.torchMs.toFixed(1).padStart(11)}${r.ratio === undefined ? '' : r.ratio.toFixed(2).padStart(19)}`,
);
const memoryLines = memory.map(
  (m) =>
    `${m.engine}: ${m.points}-point adversarial sweep (preact-resnet18 width 16, batch 128): ` +
    `${m.seconds.toFixed(0)} s, peak RSS ${m.peakRssMb} MB; RSS after points ${m.rssAfterPoint.join(', ')} MB; ` +
    `tensors ${[...new Set(m.tensorsAfterPoint)].join('/')}`,
);
const torchNote = Object.values(torchRuns).every((t) => t === null)
  ? '(PyTorch comparison skipped: /usr/bin/python3 cannot import torch)'
  : 'PyTorch: Debian python3-torch on this machine, same thread count';
const ratios = secondOrderRatios(rows, torchBars);
const loadAfter = os.loadavg();
const loadLine = loadAverageLine(loadBefore, loadAfter);
process.stdout.write(
  `${[header, ...lines, torchNote, '', ...secondOrderLines(ratios), '', loadLine, '', ...memoryLines].join('\n')}\n`,
);

const results = {
  date: new Date().toISOString(),
  machine: { cpus: cores, model: os.cpus()[0]?.model, node: process.version },
  backend,
  batch: BENCH_BATCH,
  notes: [
    "torch ms: the faster of two PyTorch runs, one before and one after weightscape's (torch: both)",
    'ms: median per workload (per point for landscape points, whole sweeps of 4 points with loading and directions included, divided by 4)',
    'GFLOP/s: 2 × multiply-adds of the convolutions and matMuls the workload runs, forward and backward ' +
      '(counted on the tfjs engine; the same model arithmetic on both)',
    'engine: wasm = everything on the tfjs WASM backend (--no-onnxruntime); wasm+onnxruntime = the default, ' +
      'logits, attack input gradients and the training gradients of every method (standard, PGD-AT, TRADES, MART) ' +
      'in onnxruntime',
    'trades+awp step: TRADES KL attack (10 steps of 2/255 in 8/255, eval mode) and loss (β = 6) with AWP γ = 0.01; ' +
      'mart step: PGD-10 in eval mode and the MART loss (β = 6), no AWP; PyTorch the reference algorithms',
    'landscape point ×Nw: N worker threads with a one-thread WASM backend each, points shared out',
    ...SECOND_ORDER_NOTES,
  ],
  load: { before: loadBefore, after: loadAfter },
  rows,
  secondOrder: ratios,
  torch: torchRuns,
  memory,
};
const out = fileURLToPath(new URL('./results.json', import.meta.url));
const written =
  selection === undefined
    ? results
    : mergePartialRun(existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as object) : {}, results, selection);
writeFileAtomic(out, `${JSON.stringify(written, null, 2)}\n`);

// The full-size part (WEIGHTSCAPE_BENCH_FULL_SIZE=0 skips it; `npm run bench:full-size` runs it alone).
if (selection === undefined && process.env.WEIGHTSCAPE_BENCH_FULL_SIZE !== '0') {
  process.stderr.write('full-size part (WEIGHTSCAPE_BENCH_FULL_SIZE=0 skips it)\n');
  const fullSizeRows = runFullSize(fullSizeSelectionFromEnv(process.env));
  storeFullSize(fullSizeRows);
  process.stdout.write(`\n${[FULL_SIZE_HEADER, ...fullSizeRows.map(fullSizeLine)].join('\n')}\n`);
}
