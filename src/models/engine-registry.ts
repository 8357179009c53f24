/**
 * The engine in use: chosen once (the CLI context, a shard worker, a benchmark) and asked by
 * every computation through `modelFunction`. tfjs until another engine is put in use.
 */
import type { Engine, ModelFunction } from './model-function.ts';
import { tfjsEngine } from './tfjs-engine.ts';
import type { ForwardOptions, ModelConfig, ModelWeights } from './types.ts';

let active: Engine = tfjsEngine;

/** Puts `engine` in use, disposing the one it replaces. */
export function useEngine(engine: Engine): Engine {
  if (active !== engine) active.dispose();
  active = engine;
  return engine;
}

export function activeEngine(): Engine {
  return active;
}

/** Back to tfjs (frees the previous engine's sessions). */
export function releaseEngine(): void {
  useEngine(tfjsEngine);
}

/** The model function of (config, weights, mode) on the engine in use. */
export function modelFunction(config: ModelConfig, weights: ModelWeights, options: ForwardOptions): ModelFunction {
  return active.modelFunction(config, weights, options);
}
