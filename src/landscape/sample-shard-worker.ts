/** The body of a sweep worker: one shard, reporting the partial result after every point. */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend/select-backend.ts';
import { sampleLandscape, type SampleRequest } from './sample-landscape.ts';

export async function runSampleShard(): Promise<void> {
  const request = workerData as Omit<SampleRequest, 'backend' | 'onPoint' | 'out'>;
  const backend = await selectBackend('wasm');
  const result = sampleLandscape({ ...request, backend, onResult: (partial) => parentPort!.postMessage({ type: 'point', result: partial }) });
  parentPort!.postMessage({ type: 'done', result });
  tf.removeBackend('wasm');
}
