/**
 * `--workers N`: N worker threads, each with its own WASM backend, compute the interleaved shards
 * i/N of one sweep; the main thread merges their points and rewrites the result after each one.
 * Directions are rebuilt in every worker (deterministic for the seed; costly for hessian).
 */
import { Worker } from 'node:worker_threads';
import { WeightscapeError } from '../errors.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { mergeLandscapes } from './merge-landscapes.ts';
import type { LandscapeResult, SampleRequest } from './sample-landscape.ts';

export async function sampleInWorkers(request: SampleRequest, workers: number): Promise<LandscapeResult> {
  if (request.shard !== undefined) throw new WeightscapeError('bad-argument', '--workers and --shard do not combine: run one sharded sweep per machine, or workers on one');
  const latest: Array<LandscapeResult | undefined> = new Array(workers).fill(undefined);
  const points = request.settings.alphas.length * (request.settings.betas?.length ?? 1);
  let merged: LandscapeResult | undefined;
  const publish = () => {
    const available = latest.filter((r): r is LandscapeResult => r !== undefined);
    if (available.length === 0) return;
    merged = mergeLandscapes(request.resumeFrom ? [...available, { ...request.resumeFrom, shard: null }] : available, available.map((_, i) => `worker ${i}`).concat(request.resumeFrom ? ['resumed file'] : []));
    if (request.out !== undefined) writeFileAtomic(request.out, `${JSON.stringify(merged, null, 2)}\n`);
    const done = merged.values.cleanLoss.flat().filter((v) => v !== null).length;
    request.onPoint?.(done, points);
  };
  const { backend: _backend, onPoint: _onPoint, onResult: _onResult, out: _out, ...transferable } = request;
  await Promise.all(Array.from({ length: workers }, (_, index) => new Promise<void>((resolve, reject) => {
    const worker = new Worker(new URL('./sample-worker.mjs', import.meta.url), {
      // Directions are identical in every worker; only the first saves them.
      workerData: { ...transferable, saveDirections: index === 0 ? transferable.saveDirections : undefined, shard: { index, count: workers }, resumeFrom: request.resumeFrom === undefined ? undefined : { ...request.resumeFrom, shard: { index, count: workers } } },
    });
    worker.on('message', (message: { type: 'point' | 'done'; result: LandscapeResult }) => {
      latest[index] = message.result;
      publish();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new WeightscapeError('internal', `sample worker ${index} exited with code ${code}`))));
  })));
  if (merged === undefined) throw new WeightscapeError('internal', 'sample workers returned nothing');
  return merged;
}
