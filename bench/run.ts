/**
 * `npm run bench`: the benchmark suite on the backend in use (override with WEIGHTSCAPE_BACKEND),
 * beside the same workloads in PyTorch on this machine when Debian's python3-torch is installed.
 * Prints a table and writes bench/results.json.
 */
import { writeFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { parseBackendName, selectBackend } from '../src/backend/select-backend.ts';
import { benchSmallCnnGradients, GRADIENT_BENCH_BATCH, GRADIENT_BENCH_SHAPE } from './gradients.ts';
import { runTorchScript } from './torch-reference.ts';
import { benchPgd, PGD_BENCH_BATCH } from './attacks.ts';
import { benchSweeps, SWEEP_POINTS } from './landscape.ts';

const requested = process.env.WEIGHTSCAPE_BACKEND;
const backend = await selectBackend(requested === undefined ? undefined : parseBackendName(requested));
const threads = backend.threads ?? os.cpus().length;
process.stderr.write(`backend ${backend.name} (${threads} thread(s)); small CNN, batch ${GRADIENT_BENCH_BATCH}, 32×32×3\n`);

const figures = benchSmallCnnGradients();
const torch = runTorchScript('torch_small_cnn.py', ['--threads', String(threads), '--batch', String(GRADIENT_BENCH_BATCH), '--width', String(GRADIENT_BENCH_SHAPE.width)]);

const rows = figures.map((f) => {
  const torchMs = typeof torch?.[f.name] === 'number' ? (torch[f.name] as number) : undefined;
  return { ...f, torchMs, ratio: torchMs === undefined ? undefined : torchMs / f.medianMs };
});
const table = [
  'workload                                  ms     img/s  GFLOP/s   torch ms  weightscape/torch',
  ...rows.map((r) => `${r.name.padEnd(38)}${r.medianMs.toFixed(1).padStart(7)}${r.imagesPerSecond.toFixed(0).padStart(10)}${r.gflops.toFixed(1).padStart(9)}`
    + `${r.torchMs === undefined ? '         -' : r.torchMs.toFixed(1).padStart(11)}${r.ratio === undefined ? '' : r.ratio.toFixed(2).padStart(19)}`),
];
process.stdout.write(`${table.join('\n')}\n${torch === undefined ? '(PyTorch comparison skipped: /usr/bin/python3 cannot import torch)\n' : `PyTorch ${torch.torch}, ${torch.threads} thread(s)\n`}`);

process.stderr.write(`PGD-10 (L∞ 8/255, step 2/255, random start), batch ${PGD_BENCH_BATCH}, eval mode\n`);
const pgdFigures = benchPgd();
const torchPgd = runTorchScript('torch_pgd.py', ['--threads', String(threads)]);
const pgdRows = pgdFigures.map((f) => {
  const torchMs = typeof torchPgd?.[f.name] === 'number' ? (torchPgd[f.name] as number) : undefined;
  return { ...f, torchMs, torchImagesPerSecond: torchMs === undefined ? undefined : (PGD_BENCH_BATCH / torchMs) * 1000, ratio: torchMs === undefined ? undefined : torchMs / f.medianMs };
});
process.stdout.write(['', 'PGD-10 attack                     ms/batch     img/s   torch img/s  weightscape/torch',
  ...pgdRows.map((r) => `${r.name.padEnd(30)}${r.medianMs.toFixed(0).padStart(11)}${r.imagesPerSecond.toFixed(1).padStart(10)}`
    + `${r.torchImagesPerSecond === undefined ? '            -' : r.torchImagesPerSecond.toFixed(1).padStart(14)}${r.ratio === undefined ? '' : r.ratio.toFixed(2).padStart(19)}`)].join('\n') + '\n');

process.stderr.write(`1D adversarial sweep: ${SWEEP_POINTS} points, PGD-10 at each, batch 128\n`);
const sweepFigures = await benchSweeps(backend);
const torchSweep = runTorchScript('torch_landscape.py', ['--threads', '1']);
const torchSweep2 = runTorchScript('torch_landscape.py', ['--threads', '2']);
const sweepRows = sweepFigures.map((f) => {
  const torchSeconds = (f.workers === 1 ? torchSweep : torchSweep2)?.[f.name];
  const torchPointsPerSecond = typeof torchSeconds === 'number' ? SWEEP_POINTS / torchSeconds : undefined;
  return { ...f, torchThreads: f.workers, torchPointsPerSecond, ratio: torchPointsPerSecond === undefined ? undefined : f.pointsPerSecond / torchPointsPerSecond };
});
process.stdout.write(['', 'adversarial sweep point                 workers  points/s  torch points/s (same threads)  weightscape/torch',
  ...sweepRows.map((r) => `${r.name.padEnd(40)}${String(r.workers).padStart(7)}${r.pointsPerSecond.toFixed(3).padStart(10)}${r.torchPointsPerSecond === undefined ? '' : r.torchPointsPerSecond.toFixed(3).padStart(31)}${r.ratio === undefined ? '' : r.ratio.toFixed(2).padStart(19)}`)].join('\n') + '\n');

const results = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  backend,
  smallCnn: { shape: GRADIENT_BENCH_SHAPE, batch: GRADIENT_BENCH_BATCH, workloads: rows },
  torch: torch ?? null,
  pgd: { batch: PGD_BENCH_BATCH, workloads: pgdRows, torch: torchPgd ?? null },
  sweep: { points: SWEEP_POINTS, workloads: sweepRows, torch: { oneThread: torchSweep ?? null, twoThreads: torchSweep2 ?? null } },
};
const out = new URL('./results.json', import.meta.url);
writeFileSync(`${out.pathname}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
renameSync(`${out.pathname}.tmp`, out.pathname);
tf.removeBackend('wasm');
