/**
 * `--workers N`: N worker threads compute the interleaved shards i/N of one sweep; the main thread
 * merges their points and rewrites the result after each one. Each worker runs the main thread's
 * engine with one thread: the WASM backend, plus onnxruntime when the main thread has it (attacks'
 * input gradients then come from the same kernels, so the losses equal the plain sweep's).
 * Directions are rebuilt in every worker (deterministic for the seed; costly for hessian).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BackendInfo } from '../backend/select-backend.ts';
import { WeightscapeError, type ErrorCode } from '../errors.ts';
import { writeFileAtomic } from '../results/atomic-write.ts';
import { mergeLandscapes } from './merge-landscapes.ts';
import { shardProgress } from './shard-progress.ts';
import { prepareSweep } from './prepare-sweep.ts';
import type { LandscapeResult, SampleRequest } from './sample-landscape.ts';

/** What the workers run on, and how many there were. */
export type { WorkersInfo } from '../results/landscape-schema.ts';

/** Messages from a worker: a partial result after every point, the final one, or its error. */
export type WorkerMessage =
  | { type: 'point' | 'done'; result: LandscapeResult }
  | { type: 'started'; backend: BackendInfo }
  | { type: 'error'; code: ErrorCode; message: string };

/**
 * How many workers to start: the request, but at most one per point still to compute and at
 * most twice the CPU count (more only add memory: every worker holds a WASM heap and the model).
 */
export function capWorkers(
  requested: number,
  pointsToCompute: number,
  cpus = os.availableParallelism(),
): { count: number; note?: string } {
  const limit = Math.max(1, Math.min(pointsToCompute, 2 * cpus));
  if (requested <= limit) return { count: requested };
  const why =
    limit === Math.max(1, pointsToCompute)
      ? `${pointsToCompute} point${pointsToCompute === 1 ? '' : 's'} still to compute`
      : `at most 2 per CPU (${cpus} CPUs)`;
  return { count: limit, note: `--workers ${requested}: starting ${limit} (${why})` };
}

export async function sampleInWorkers(
  request: SampleRequest & { onNote?: (note: string) => void },
  requestedWorkers: number,
): Promise<LandscapeResult> {
  if (request.shard !== undefined)
    throw new WeightscapeError(
      'bad-argument',
      '--workers and --shard do not combine: run one sharded sweep per machine, or workers on one',
    );
  // A refused resume must start no worker and write nothing.
  const resumed = request.resumeFrom === undefined ? undefined : shardProgress(request.resumeFrom, undefined);
  if (resumed !== undefined) {
    prepareSweep(request).dispose();
    request.onResume?.(resumed);
  }
  const points = request.settings.alphas.length * (request.settings.betas?.length ?? 1);
  const todo = resumed === undefined ? points : resumed.total - resumed.done;
  const { count: workers, note } = capWorkers(requestedWorkers, todo);
  if (note !== undefined) request.onNote?.(note);
  const latest: Array<LandscapeResult | undefined> = new Array(workers).fill(undefined);
  let workerBackend: BackendInfo | undefined;
  let merged: LandscapeResult | undefined;
  const publish = () => {
    const available = latest.filter((r): r is LandscapeResult => r !== undefined);
    if (available.length === 0) return;
    const joined = mergeLandscapes(
      request.resumeFrom ? [...available, { ...request.resumeFrom, shard: null }] : available,
      available.map((_, i) => `worker ${i}`).concat(request.resumeFrom ? ['resumed file'] : []),
    );
    merged = { ...joined, workers: { count: workers, backend: workerBackend ?? joined.provenance.backend } };
    if (request.out !== undefined) writeFileAtomic(request.out, `${JSON.stringify(merged, null, 2)}\n`);
    const done = merged.values.cleanLoss.flat().filter((v) => v !== null).length;
    request.onPoint?.(done, points);
  };
  // Callbacks stay here (a worker cannot receive functions).
  const {
    backend,
    onPoint: _onPoint,
    onResult: _onResult,
    onNote: _onNote,
    onResume: _onResume,
    out: _out,
    ...transferable
  } = request;
  await Promise.all(
    Array.from(
      { length: workers },
      (_, index) =>
        new Promise<void>((resolve, reject) => {
          let failed: WeightscapeError | undefined;
          const worker = new Worker(new URL('./sample-worker.mjs', import.meta.url), {
            // Directions are identical in every worker; only the first saves them.
            workerData: {
              ...transferable,
              onnxruntime: backend.onnxruntime !== undefined,
              saveDirections: index === 0 ? transferable.saveDirections : undefined,
              shard: { index, count: workers },
              resumeFrom:
                request.resumeFrom === undefined
                  ? undefined
                  : { ...request.resumeFrom, shard: { index, count: workers } },
            },
          });
          worker.on('message', (message: WorkerMessage) => {
            if (message.type === 'started') {
              workerBackend = message.backend;
              if ((backend.onnxruntime !== undefined) !== (message.backend.onnxruntime !== undefined)) {
                const there = message.backend.onnxruntime ? 'on' : `off (${message.backend.onnxruntimeOff})`;
                failed = new WeightscapeError(
                  'internal',
                  `sample worker ${index}: onnxruntime ${there} where the main thread has it ${backend.onnxruntime ? 'on' : 'off'}`,
                );
                void worker.terminate();
              }
              return;
            }
            if (message.type === 'error') {
              failed = new WeightscapeError(message.code, message.message);
              return;
            }
            latest[index] = message.result;
            publish();
          });
          worker.on('error', reject);
          worker.on('exit', (code) =>
            failed !== undefined
              ? reject(failed)
              : code === 0
                ? resolve()
                : reject(new WeightscapeError('internal', `sample worker ${index} exited with code ${code}`)),
          );
        }),
    ),
  );
  if (merged === undefined) throw new WeightscapeError('internal', 'sample workers returned nothing');
  return merged;
}
