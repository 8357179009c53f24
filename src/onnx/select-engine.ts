/**
 * The engine choice, made once per process (CLI context, shard worker, benchmark): onnxruntime
 * when asked for, the tfjs backend is wasm or cpu, and it loads; tfjs otherwise, recording why.
 */
import { useEngine } from '../models/engine-registry.ts';
import type { Engine } from '../models/model-function.ts';
import { tfjsEngine } from '../models/tfjs-engine.ts';
import { createOnnxEngine } from './onnx-engine.ts';

export interface EngineOptions {
  /** Run logits and the cross-entropy's gradients in onnxruntime when it can. */
  onnxruntime: boolean;
  /** onnxruntime's intra-op threads. */
  threads: number;
}

/** Puts the chosen engine in use (disposing the previous one) and returns it. */
export function selectEngine(backendName: string, { onnxruntime, threads }: EngineOptions): Engine {
  // Free the previous engine's sessions before loading new ones.
  useEngine(tfjsEngine);
  if (!onnxruntime) return tfjsEngine;
  // tfjs-node already runs native kernels (or a GPU): onnxruntime is for wasm and cpu.
  if (backendName !== 'wasm' && backendName !== 'cpu')
    return useEngine({ ...tfjsEngine, record: { onnxruntimeOff: `not used with the ${backendName} backend` } });
  const engine = createOnnxEngine(threads);
  return useEngine(typeof engine === 'string' ? { ...tfjsEngine, record: { onnxruntimeOff: engine } } : engine);
}
