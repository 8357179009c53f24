/** A small synthetic study result (validated by studySchema), for the report tests. */
import { studySchema, type StudyResult } from '../../src/results/study-schema.ts';

export const HOSTILE_RUN = 'AWP <script>alert(1)</script> & "co"';
const alphas = [-1, -0.5, 0, 0.5, 1];
const adversarialAlphas = [-0.2, 0, 0.2];

const split = (clean: number, robust: number) => ({
  count: 64,
  clean: { loss: 1 - clean, accuracy: clean },
  robust: { loss: 2 - robust, accuracy: robust },
});

const coefficient = (value: number, low: number, high: number, pValue: number) => ({
  value,
  interval: { low, high, level: 0.95, resamples: 200, undefinedResamples: 0 },
  permutation: { pValue, exact: false, permutations: 500 },
});

/** Run `pgd-at` with epochs 1–8 (robust overfitting: the gap grows) and the hostile run with epochs 2, 4, 6. */
export function syntheticStudy(): StudyResult {
  const runs = [
    { name: 'pgd-at', epochs: [1, 2, 3, 4, 5, 6, 7, 8], slope: 0.03 },
    { name: HOSTILE_RUN, epochs: [2, 4, 6], slope: 0.01 },
  ];
  const checkpoints = runs.flatMap(({ name, epochs, slope }, r) =>
    epochs.map((epoch) => {
      const train = 0.4 + slope * epoch;
      const test = 0.4 - 0.012 * epoch;
      const sharp = 1 + slope * epoch * 10 + r * 0.05;
      return {
        run: name,
        epoch,
        path: `runs/${name}/epochs/epoch-${String(epoch).padStart(3, '0')}.safetensors`,
        sha256: `sha-${r}-${epoch}`,
        files: {
          eval: `pieces/e${r}${epoch}.json`,
          flatness: `pieces/f${r}${epoch}.json`,
          random: [],
          adversarial: 'x',
        },
        train: split(0.8, train),
        test: split(0.7, test),
        gap: { accuracy: train - test, loss: 2 - test - (2 - train) },
        flatness: {
          clean: {
            atTheta: 0.3,
            averageIncrease: sharp / 2,
            maxIncrease: sharp,
            adversarialDirectionIncrease: 0.1,
            curvature: 2,
          },
          adversarial: {
            atTheta: 1.1,
            averageIncrease: sharp,
            maxIncrease: 1.5 * sharp,
            adversarialDirectionIncrease: 0.2 * sharp,
            curvature: 3 * sharp,
          },
        },
        curves: {
          random: {
            alphas,
            clean: {
              mean: alphas.map((a) => 0.3 + a * a),
              min: alphas.map((a) => 0.3 + 0.8 * a * a),
              max: alphas.map((a) => 0.3 + 1.2 * a * a),
            },
            adversarial: {
              mean: alphas.map((a) => 1.1 + sharp * a * a),
              min: alphas.map((a) => 1.1 + 0.8 * sharp * a * a),
              max: alphas.map((a) => 1.1 + 1.2 * sharp * a * a),
            },
          },
          adversarial: {
            alphas: adversarialAlphas,
            clean: adversarialAlphas.map((a) => 0.3 + a),
            adversarial: adversarialAlphas.map((a) => 1.1 + sharp * a),
          },
        },
      };
    }),
  );
  return studySchema.parse({
    schema: 'weightscape.study/1',
    settings: {
      data: 'mini',
      attack: 'pgd:linf:eps=0.1:steps=10',
      subset: 64,
      landscapeSplit: 'train',
      landscapeSubset: 32,
      directions: 3,
      rho: 1,
      rhoAdversarial: 0.2,
      alphas,
      adversarialAlphas,
      batchSize: 32,
      seed: 5,
      gap: 'gap.accuracy',
      measures: ['adversarial.averageIncrease', 'adversarial.adversarialDirectionIncrease'],
      resamples: 200,
      permutations: 500,
    },
    runs: runs.map(({ name, epochs, slope }) => ({
      name,
      dir: `runs/${name}`,
      epochs,
      history: Array.from({ length: 8 }, (_, i) => ({
        epoch: i + 1,
        trainRobust: i === 0 ? null : 0.4 + slope * (i + 1),
        testRobust: 0.4 - 0.012 * (i + 1),
        trainClean: 0.8,
        testClean: 0.7,
      })),
      bestEpoch: epochs[0]!,
    })),
    checkpoints,
    correlations: [
      {
        scope: 'all',
        run: null,
        measure: 'adversarial.averageIncrease',
        result: {
          schema: 'weightscape.correlation/1',
          x: 'adversarial.averageIncrease',
          y: 'gap.accuracy',
          points: checkpoints.map((c) => ({
            checkpoint: c.path,
            sha256: c.sha256,
            x: c.flatness.adversarial.averageIncrease,
            y: c.gap.accuracy,
          })),
          coefficients: {
            pearson: coefficient(0.93, 0.81, 0.98, 0.002),
            spearman: coefficient(0.88, 0.6, 0.97, 0.004),
            kendall: coefficient(0.71, 0.45, 0.9, 0.001),
          },
          settings: { resamples: 200, permutations: 500, seed: 5 },
          notes: [],
        },
        note: null,
      },
      {
        scope: 'final',
        run: null,
        measure: 'adversarial.averageIncrease',
        result: null,
        note: 'only 2 runs: fewer than 3 checkpoints',
      },
    ],
    notes: ['a <note> & more'],
    provenance: {
      tool: 'weightscape',
      toolVersion: '0.0.0',
      createdAt: '2020-01-01T00:00:00Z',
      backend: { name: 'cpu', tfjsName: 'cpu', fastGradients: false, tfjsVersion: '4' },
      seed: 5,
      wallSeconds: 1,
    },
  });
}
