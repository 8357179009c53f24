/**
 * One full-size workload in its own process, so that its peak resident size is its own, run by
 * bench/full-size.ts: `node --import tsx bench/full-size-workload.ts <model> <workload> <threads>
 * <onnxruntime|wasm> <runs>`. In-process workloads: a warm-up run, then the median of `runs`.
 * Landscape points: one sweep through `weightscape sample`'s code, a 3-point adversarial sweep
 * (PGD-10 regenerated at every point) or a 3×3 clean grid; the time of each point, the first
 * including the sweep's set-up (checkpoint, directions, engine sessions), and as `ms` the median of
 * the others: the steady cost of a point in the sweeps users run (21 to 51 points per axis), as
 * PyTorch's side times a point after a warm-up one. Attack workloads (bench/attack-workloads.ts):
 * one clean forward and one input gradient as warm-up, then `runs` whole attacks, with the examples
 * each fooled. Prints one JSON line.
 */
import { releaseBackend, selectBackend } from '../src/backend/select-backend.ts';
import { sampleLandscape } from '../src/landscape/sample-landscape.ts';
import { releaseEngine } from '../src/models/engine-registry.ts';
import { selectEngine } from '../src/onnx/select-engine.ts';
import { attackScale, attackWorkload, type AttackFigures } from './attack-workloads.ts';
import { prepareSweep } from './sweep.ts';
import { median, timeWorkload } from './timing.ts';
import {
  ATTACK_WORKLOADS,
  FULL_SIZE_MODELS,
  FULL_SIZE_WORKLOADS,
  modelWorkloads,
  type AttackWorkload,
  type FullSizeWorkload,
  type WorkloadName,
} from './workloads.ts';

export interface FullSizeMeasurement extends Partial<AttackFigures> {
  model: string;
  workload: FullSizeWorkload;
  threads: number;
  engine: 'onnxruntime' | 'wasm';
  batch: number;
  /** Median of the timed runs, or of a sweep's points after the first. */
  ms: number;
  /** Each timed run, or each point of a sweep in order. */
  samples: number[];
  /** Landscape points: the whole sweep, set-up included. */
  sweepMs?: number;
  peakRssMb: number;
}

const LANDSCAPE_POINTS = 3;

async function main(): Promise<void> {
  const [modelName, workloadName, threadsText, engineName, runsText] = process.argv.slice(2);
  const model = FULL_SIZE_MODELS.find((m) => m.name === modelName);
  const workload = FULL_SIZE_WORKLOADS.find((w) => w === workloadName);
  if (model === undefined || workload === undefined || (engineName !== 'onnxruntime' && engineName !== 'wasm'))
    throw new Error(`usage: full-size-workload.ts <model> <workload> <threads> <onnxruntime|wasm> <runs>`);
  const threads = Number(threadsText);
  const runs = Number(runsText ?? 1);
  const attack = (ATTACK_WORKLOADS as readonly string[]).includes(workload) ? (workload as AttackWorkload) : undefined;
  const scale = attackScale(process.env);
  const onnxruntime = engineName === 'onnxruntime';
  const tfjsBackend = await selectBackend('wasm', { wasmThreads: threads });
  const backend = { ...tfjsBackend, ...selectEngine(tfjsBackend.name, { onnxruntime, threads }).record };
  if (onnxruntime && backend.onnxruntime === undefined) throw new Error(`onnxruntime: ${backend.onnxruntimeOff}`);
  let samples: number[];
  let sweepMs: number | undefined;
  let figures: AttackFigures | undefined;
  if (attack !== undefined) {
    // A light warm-up (sessions at the full batch), then whole attacks: one takes minutes.
    const work = attackWorkload(attack, scale);
    try {
      work.warmup();
      samples = timeWorkload(() => (figures = work.run()), { warmup: 0, runs }).samples;
    } finally {
      work.dispose();
    }
  } else if (workload === 'landscape point' || workload === 'clean grid point') {
    const sweep = prepareSweep(model.config, model.batch);
    try {
      const adversarial = workload === 'landscape point';
      const settings = adversarial ? sweep.settings(LANDSCAPE_POINTS) : sweep.cleanGrid(LANDSCAPE_POINTS);
      const points = adversarial ? LANDSCAPE_POINTS : LANDSCAPE_POINTS ** 2;
      const start = performance.now();
      let last = start;
      samples = [];
      sampleLandscape({
        settings,
        model: {},
        backend,
        onPoint: () => {
          const now = performance.now();
          samples.push(now - last);
          last = now;
        },
      });
      sweepMs = performance.now() - start;
      if (samples.length !== points) throw new Error(`the sweep computed ${samples.length} of ${points} points`);
    } finally {
      sweep.dispose();
    }
  } else {
    const workloads = modelWorkloads(model.config, model.batch);
    try {
      samples = timeWorkload(workloads.run[workload as WorkloadName], { warmup: 1, runs }).samples;
    } finally {
      workloads.dispose();
    }
  }
  const result: FullSizeMeasurement = {
    model: attack === undefined ? model.name : scale.model,
    workload,
    threads,
    engine: engineName,
    batch: attack === undefined ? model.batch : scale.batch,
    // A sweep's first point carries its set-up.
    ms: median(sweepMs === undefined ? samples : samples.slice(1)),
    samples,
    ...(sweepMs === undefined ? {} : { sweepMs }),
    ...figures,
    // maxRSS is in kilobytes.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  releaseEngine();
  await releaseBackend();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // The threaded WASM build keeps its workers alive.
  process.exit(0);
}

await main();
