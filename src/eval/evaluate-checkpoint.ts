/** `weightscape eval`: a checkpoint's clean loss and accuracy on a data set, as a typed result. */
import type { BackendInfo } from '../backend/select-backend.ts';
import { detectArchitecture } from '../checkpoints/detect-architecture.ts';
import { loadCheckpoint } from '../checkpoints/load-checkpoint.ts';
import { checkpointToWeights, disposeWeights } from '../checkpoints/map-to-model.ts';
import { resolveModelConfig, type ModelConfigRequest } from '../checkpoints/model-config.ts';
import { checkLabels, loadDataset } from '../data/dataset.ts';
import type { ModelConfig } from '../models/types.ts';
import { provenance, type Provenance } from '../results/provenance.ts';
import { evaluateClean, type CleanMetrics } from './clean-metrics.ts';

export const EVAL_SCHEMA = 'weightscape.eval/1';

export interface EvalResult {
  schema: typeof EVAL_SCHEMA;
  model: ModelConfig;
  clean: CleanMetrics;
  notes: string[];
  provenance: Provenance;
}

export interface EvaluateRequest {
  checkpoint: string;
  data: string;
  model: ModelConfigRequest;
  batchSize: number;
  backend: BackendInfo;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

export function evaluateCheckpoint(request: EvaluateRequest): EvalResult {
  const started = performance.now();
  const checkpoint = loadCheckpoint(request.checkpoint);
  const data = loadDataset(request.data);
  const [, height, width, channels] = data.shape;
  const notes = [...checkpoint.notes];
  let modelRequest: ModelConfigRequest = { input: { height, width, channels }, ...request.model };
  if (modelRequest.arch === undefined && checkpoint.metadata.arch === undefined) {
    const detected = detectArchitecture(checkpoint.tensors);
    if (detected !== undefined) {
      notes.push(`architecture detected from the tensors: ${detected.arch} ${JSON.stringify(detected.options)}`);
      modelRequest = { ...modelRequest, arch: detected.arch, options: { ...detected.options, ...request.model.options }, classes: request.model.classes ?? detected.classes };
    }
  }
  const config = resolveModelConfig(checkpoint, modelRequest);
  checkLabels(data, config.classes);
  const { weights, notes: mapNotes } = checkpointToWeights(checkpoint, config);
  notes.push(...mapNotes);
  try {
    const clean = evaluateClean(weights, config, data, request.batchSize, request.onProgress);
    return {
      schema: EVAL_SCHEMA,
      model: config,
      clean,
      notes,
      provenance: provenance({
        backend: request.backend, seed: request.seed, wallSeconds: (performance.now() - started) / 1000,
        checkpoint: { path: checkpoint.path, sha256: checkpoint.sha256, format: checkpoint.format },
        data: { spec: data.spec, count: data.shape[0] },
      }),
    };
  } finally {
    disposeWeights(weights);
  }
}
