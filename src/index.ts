/**
 * weightscape as a library: `import { … } from 'weightscape'`. The same functions the commands
 * call, each taking and returning plain typed data (results are the JSON the commands write).
 * Start the compute first (`startEngine`: the tfjs backend and onnxruntime when it loads) and
 * stop it when done (`stopEngine`, which lets the process exit).
 */

// Engines.
export { startEngine, stopEngine, type EngineRequest } from './start-engine.ts';
export type { BackendInfo, BackendName } from './backend/select-backend.ts';

// Checkpoints and data.
export { loadCheckpoint, type LoadedCheckpoint } from './checkpoints/load-checkpoint.ts';
export { describeOnnx, type OnnxDescription } from './onnx-import/describe-onnx.ts';
export { loadDataset, parseDataSpec, type DataSpec, type LabeledImages } from './data/dataset.ts';
export { parseAttack, formatAttack, type AttackSpec } from './attacks/attack-spec.ts';
export { parseDirection, formatDirection, type DirectionSpec } from './directions/direction-spec.ts';

// Compute: evaluation, landscapes, flatness, training.
export { evaluateCheckpoint, type EvalResult, type EvaluateRequest } from './eval/evaluate-checkpoint.ts';
export {
  sampleLandscape,
  type LandscapeResult,
  type LandscapeSettings,
  type SampleRequest,
  type SweepSettings,
} from './landscape/sample-landscape.ts';
export { mergeLandscapes } from './landscape/merge-landscapes.ts';
export { mergeFlatness } from './landscape/merge-flatness.ts';
export { parseRange } from './landscape/grid.ts';
export { measureFlatness, type FlatnessResult, type FlatnessRequest } from './landscape/flatness.ts';
export { train, type TrainLog, type TrainRequest } from './train/trainer.ts';

// Exact second order: Hessian-vector products on the active engine, and what Lanczos makes of them.
export { analyzeHessian, type HessianRequest, type HessianResult } from './hessian/analyze-hessian.ts';
export { modelHessianOperator, type HessianBatch } from './hessian/model-hessian-operator.ts';
export { blockOperator, type HessianOperator } from './hessian/hessian-operator.ts';
export { topEigenpairs, type Eigenpair, type TopEigenpairs } from './hessian/lanczos.ts';
export { hutchinsonTrace, type TraceEstimate } from './hessian/hutchinson-trace.ts';
export { spectralDensity, quadratureMoment, type SpectralDensity } from './hessian/spectral-density.ts';
export { resolveTrainConfig, type TrainConfig } from './train/train-config.ts';

// The study: flatness against the robust gap over the epochs of runs.
export { listStudyInputs, type StudyInput, type StudyRun } from './study/study-inputs.ts';
export { resolveStudySettings, type StudyOptions, type StudySettings } from './study/study-settings.ts';
export { runStudy, type StudyOutcome, type StudyRequest } from './study/run-study.ts';
export type { StudyResult, StudyCheckpoint, StudyCorrelation } from './results/study-schema.ts';

// Results, statistics, reports and checks.
export { readResult, parseResult, type ResultKind, type ResultOf } from './results/read-result.ts';
export { correlateResults, type CorrelationResult } from './stats/correlate-results.ts';
export { buildReport, readReportInputs } from './report/build-report.ts';
export { buildStudyReport } from './report/study-report.ts';
export { readBaseline } from './check/baseline.ts';
export { runChecks, verdictTable, junitXml, type Verdict } from './check/run-checks.ts';

// Errors: every user error is a WeightscapeError with isUserError true.
export { WeightscapeError, type ErrorCode } from './errors.ts';
