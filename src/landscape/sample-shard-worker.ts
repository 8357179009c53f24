/** The body of a sweep worker: one shard, reporting the partial result after every point. */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend/select-backend.ts';
import { WeightscapeError } from '../errors.ts';
import { releaseEngine } from '../models/engine-registry.ts';
import { selectEngine } from '../onnx/select-engine.ts';
import type { WorkerMessage } from './parallel-sample.ts';
import { sampleLandscape, type SampleRequest } from './sample-landscape.ts';

export async function runSampleShard(): Promise<void> {
  const { onnxruntime, ...request } = workerData as Omit<SampleRequest, 'backend' | 'onPoint' | 'out'> & {
    onnxruntime: boolean;
  };
  const post = (message: WorkerMessage) => parentPort!.postMessage(message);
  // The main thread's engine, on one thread (the workers share out the points instead).
  const tfjsBackend = await selectBackend('wasm', { wasmThreads: 1 });
  const backend = { ...tfjsBackend, ...selectEngine(tfjsBackend.name, { onnxruntime, threads: 1 }).record };
  post({ type: 'started', backend });
  try {
    const result = sampleLandscape({
      ...request,
      backend,
      onResult: (partial) => post({ type: 'point', result: partial }),
    });
    post({ type: 'done', result });
  } catch (error) {
    // Structured clone drops the class: send the code so that the CLI exits as for a plain sweep.
    if (!(error instanceof WeightscapeError)) throw error;
    post({ type: 'error', code: error.code, message: error.message });
  } finally {
    releaseEngine();
    tf.removeBackend('wasm');
  }
}
