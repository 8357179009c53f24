/**
 * The main job in one call, sized for 2 cores: on a small class-stratified subset of the bundled
 * mini Fashion-MNIST, train PGD-AT and PGD-AT + AWP convnets keeping a checkpoint every few
 * epochs, then study every saved epoch (robust gap, flatness, 1D curves, correlations) and write
 * the study's report. A small training set robust-overfits within minutes: the phenomenon the
 * seed paper (Wu, Xia & Wang 2020) relates to the flatness of the weight loss landscape.
 */
import { join } from 'node:path';
import { parseAttack } from '../attacks/attack-spec.ts';
import type { BackendInfo } from '../backend/select-backend.ts';
import { parseDataSpec } from '../data/dataset.ts';
import { metricAt } from '../results/metric-path.ts';
import type { StudyCorrelation, StudyResult } from '../results/study-schema.ts';
import { listStudyInputs } from '../study/study-inputs.ts';
import { runStudy } from '../study/run-study.ts';
import { resolveStudySettings } from '../study/study-settings.ts';
import { resolveTrainConfig } from '../train/train-config.ts';
import { train } from '../train/trainer.ts';

/** The demo's setup, in one place (the README quotes it). */
export const DEMO_SETUP = {
  data: 'mini',
  arch: 'convnet',
  archOptions: { width: 32, hidden: 256, dropout: 0 },
  /** Training images (class-stratified): few enough to robust-overfit in minutes. */
  subset: 300,
  epochs: 60,
  batchSize: 64,
  lr: 0.03,
  weightDecay: 0,
  /** ÷10 at these fractions of the epochs (robust overfitting sets in after the first decay). */
  milestones: [2 / 3, 5 / 6],
  attack: 'pgd:linf:eps=0.1:steps=5:step=0.04',
  evalAttack: 'pgd:linf:eps=0.1:steps=10:step=0.025',
  /** The per-epoch metrics of the logs (panel a): fixed subsets of 150 training and 150 test images. */
  evalSubset: 150,
  /** The reference γ of AWP with PGD-AT. */
  awpGamma: 0.01,
  /**
   * AWP from this fraction of the epochs on: from the first epoch, this small convnet does not learn
   * under AWP (its loss stays near ln 10); robust overfitting comes after the first decay anyway.
   */
  awpWarmupFraction: 1 / 3,
  /**
   * Checkpoints kept per run, evenly spaced from this fraction of the epochs to the last. Earlier
   * epochs are left out: a model that has not learned yet has a high loss, a steep landscape and
   * no gap, which measures training progress rather than overfitting.
   */
  savedCheckpoints: 7,
  savedFromFraction: 5 / 12,
  /** The gap on all 300 training images and all 1,000 test images of mini (its whole test split). */
  study: { subset: 1000, landscapeSubset: 100, directions: 2, points: 5, batchSize: 100 },
  /** --quick: a smoke run of the whole pipeline in about a minute (2 epochs, a small study). */
  quickStudy: { subset: 100, landscapeSubset: 50, directions: 1, points: 5, batchSize: 50 },
  /** The flatness measure the demo's sentence is about. */
  measure: 'adversarial.averageIncrease',
} as const;

export const DEMO_RUNS = [
  { name: 'pgd-at', awp: false },
  { name: 'pgd-at-awp', awp: true },
] as const;

export interface DemoOptions {
  outDir: string;
  backend: BackendInfo;
  seed: number;
  /** Fewer epochs for a quick look (the milestones and saved epochs scale with it). */
  epochs?: number;
  /** The small study of --quick (DEMO_SETUP.quickStudy). */
  quick?: boolean;
  /** Progress: a stage name and its fraction done, in [0, 1]. */
  onProgress?: (stage: string, fraction: number) => void;
}

export interface DemoRunSummary {
  run: string;
  epochs: number;
  trainRobust: number;
  testRobust: number;
  /** Train minus test robust accuracy at the final epoch, and at the first saved one. */
  gap: number;
  firstGap: number;
  bestTestRobust: number;
  bestEpoch: number;
  /** The demo's flatness measure at the final and the first saved epoch. */
  flatness: number | null;
  firstFlatness: number | null;
}

export interface DemoSummary {
  reportDir: string;
  study: StudyResult;
  runs: DemoRunSummary[];
  /** The demo measure's correlation with the gap over every checkpoint. */
  correlation: StudyCorrelation;
  /** Relative to reportDir: every file and directory the demo wrote. */
  written: string[];
}

/** `count` evenly spaced epochs from `fromFraction` of the epochs to the last (fewer when there are not as many). */
export function savedEpochs(epochs: number, count: number, fromFraction: number): number[] {
  const first = Math.min(epochs, Math.max(1, Math.round(epochs * fromFraction)));
  const n = Math.min(count, epochs - first + 1);
  if (n === 1) return [epochs];
  return [...new Set(Array.from({ length: n }, (_, i) => Math.round(first + ((epochs - first) * i) / (n - 1))))];
}

function trainRuns({ outDir, backend, seed, epochs = DEMO_SETUP.epochs, onProgress }: DemoOptions): string[] {
  const milestones = DEMO_SETUP.milestones.map((f) => Math.max(1, Math.round(epochs * f)));
  return DEMO_RUNS.map(({ name, awp }) => {
    const runDir = join(outDir, 'runs', name);
    const config = resolveTrainConfig({
      arch: DEMO_SETUP.arch,
      archOptions: { ...DEMO_SETUP.archOptions },
      data: DEMO_SETUP.data,
      subset: DEMO_SETUP.subset,
      method: 'pgd-at',
      awp,
      awpGamma: DEMO_SETUP.awpGamma,
      awpWarmup: Math.min(Math.round(epochs * DEMO_SETUP.awpWarmupFraction), epochs - 1),
      epochs,
      batchSize: DEMO_SETUP.batchSize,
      lr: DEMO_SETUP.lr,
      weightDecay: DEMO_SETUP.weightDecay,
      schedule: `piecewise:${milestones.join(',')}`,
      attack: DEMO_SETUP.attack,
      evalAttack: DEMO_SETUP.evalAttack,
      evalSubset: DEMO_SETUP.evalSubset,
      saveEpochs: savedEpochs(epochs, DEMO_SETUP.savedCheckpoints, DEMO_SETUP.savedFromFraction),
      seed,
    });
    train({
      config,
      outDir: runDir,
      resume: false,
      backend,
      onBatch: (epoch, batch, batches) => onProgress?.(`train ${name}`, (epoch + (batch + 1) / batches) / epochs),
    });
    return runDir;
  });
}

function runSummary(study: StudyResult, run: string): DemoRunSummary {
  const own = study.checkpoints.filter((c) => c.run === run);
  const [first, last] = [own[0]!, own.at(-1)!];
  // The study's own pick (highest test robust accuracy, the earliest on ties).
  const bestEpoch = study.runs.find((r) => r.name === run)!.bestEpoch;
  const best = own.find((c) => c.epoch === bestEpoch)!;
  return {
    run,
    epochs: last.epoch ?? 0,
    trainRobust: last.train.robust!.accuracy,
    testRobust: last.test.robust!.accuracy,
    gap: last.gap!.accuracy,
    firstGap: first.gap!.accuracy,
    bestTestRobust: best.test.robust!.accuracy,
    bestEpoch: best.epoch ?? 0,
    flatness: metricAt(last.flatness, DEMO_SETUP.measure) ?? null,
    firstFlatness: metricAt(first.flatness, DEMO_SETUP.measure) ?? null,
  };
}

/** Trains both runs, studies every saved epoch and writes the report into outDir. */
export function runDemo(options: DemoOptions): DemoSummary {
  const { outDir, backend, seed, onProgress } = options;
  const runDirs = trainRuns(options);
  const settings = resolveStudySettings({
    data: parseDataSpec(DEMO_SETUP.data),
    attack: parseAttack(DEMO_SETUP.evalAttack),
    ...(options.quick ? DEMO_SETUP.quickStudy : DEMO_SETUP.study),
    measures: [
      DEMO_SETUP.measure,
      'adversarial.adversarialDirectionIncrease',
      'adversarial.curvature',
      'clean.averageIncrease',
    ],
    seed,
  });
  const listed = listStudyInputs(runDirs);
  const outcome = runStudy({
    ...listed,
    settings,
    dir: outDir,
    model: {},
    backend,
    onCheckpoint: (_input, index, total) => onProgress?.('study', (index - 1) / total),
  })!;
  const { study } = outcome;
  onProgress?.('study', 1);
  const correlation = study.correlations.find((c) => c.scope === 'all' && c.measure === DEMO_SETUP.measure)!;
  return {
    reportDir: outDir,
    study,
    runs: DEMO_RUNS.map(({ name }) => runSummary(study, name)),
    correlation,
    written: ['runs', 'pieces', 'study.json', ...outcome.reportFiles],
  };
}
