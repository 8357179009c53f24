/**
 * Axis labels a reader understands for the dotted paths measures are named by (`gap.accuracy`,
 * `adversarial.averageIncrease`): what the number is and its unit. A path not known here is shown
 * as it is, so a label is never a guess.
 */

const FLATNESS: Record<string, (loss: string) => string> = {
  atTheta: (loss) => `The ${loss} loss at θ`,
  averageIncrease: (loss) => `Mean rise of the ${loss} loss at ρ along random directions`,
  maxIncrease: (loss) => `Largest rise of the ${loss} loss at ρ over random directions`,
  adversarialDirectionIncrease: (loss) => `Rise of the ${loss} loss at ρ along the adversarial (AWP) direction`,
  curvature: (loss) => `Mean curvature of the ${loss} loss along random directions`,
  hessianTopEigenvalue: (loss) => `Top Hessian eigenvalue of the ${loss} loss`,
};

const SPLIT = /^splits\.(train|test)\.(clean|robust)\.(accuracy|loss)$/;

/** Whether a path's values are accuracies (fractions), which the report shows in points (×100) as the tables do. */
export function inPoints(path: string): boolean {
  return /accuracy$/i.test(path);
}

/** The label of a measure's axis; the path itself where it is not one of the known measures. */
export function measureLabel(path: string): string {
  if (path === 'gap.accuracy') return 'Robust generalization gap (accuracy points)';
  if (path === 'gap.loss') return 'Robust generalization gap (adversarial loss)';
  const split = SPLIT.exec(path);
  if (split !== null) {
    const [, which, kind, unit] = split;
    const name = `${which === 'train' ? 'Train' : 'Test'} ${kind === 'robust' ? 'robust' : 'clean'}`;
    return unit === 'accuracy' ? `${name} accuracy (%)` : `${name} loss (cross-entropy)`;
  }
  const [loss, measure, ...rest] = path.split('.');
  const describe = measure === undefined ? undefined : FLATNESS[measure];
  if ((loss === 'clean' || loss === 'adversarial') && describe !== undefined && rest.length === 0)
    return describe(loss);
  return path;
}
