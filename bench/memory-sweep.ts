/**
 * Memory of an adversarial sweep on the narrow preact-resnet18, run as its own process by
 * bench/run.ts: `node --import tsx bench/memory-sweep.ts <points> <threads> [onnxruntime]`. Prints JSON
 * with the peak resident set size and the resident size after every point, so that growth with
 * the number of points shows.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { releaseBackend, selectBackend } from '../src/backend/select-backend.ts';
import { releaseEngine } from '../src/models/engine-registry.ts';
import { selectEngine } from '../src/onnx/select-engine.ts';
import { sampleLandscape } from '../src/landscape/sample-landscape.ts';
import { prepareSweep } from './sweep.ts';
import { BENCH_MODELS } from './workloads.ts';

const points = Number(process.argv[2] ?? 21);
const threads = Number(process.argv[3] ?? Math.min(os.cpus().length, 8));
const onnxruntime = process.argv[4] === 'onnxruntime';
const tfjsBackend = await selectBackend('wasm', { wasmThreads: threads });
const backend = { ...tfjsBackend, ...selectEngine(tfjsBackend.name, { onnxruntime, threads }).record };
if (onnxruntime && backend.onnxruntime === undefined) throw new Error(`onnxruntime: ${backend.onnxruntimeOff}`);
const preact = BENCH_MODELS.find((m) => m.config.arch === 'preact-resnet18')!;
const sweep = prepareSweep(preact.config);
const megabytes = (bytes: number) => Math.round(bytes / 2 ** 20);
const rssAfterPoint: number[] = [];
const tensorsAfterPoint: number[] = [];
try {
  const start = performance.now();
  sampleLandscape({
    settings: sweep.settings(points),
    model: {},
    backend,
    onPoint: () => {
      rssAfterPoint.push(megabytes(process.memoryUsage().rss));
      tensorsAfterPoint.push(tf.memory().numTensors);
    },
  });
  const seconds = (performance.now() - start) / 1000;
  // maxRSS is in kilobytes.
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(
    `${JSON.stringify({ points, threads, engine: onnxruntime ? 'onnxruntime' : 'wasm', seconds, peakRssMb, rssAfterPoint, tensorsAfterPoint })}\n`,
  );
} finally {
  sweep.dispose();
  releaseEngine();
  await releaseBackend();
}
