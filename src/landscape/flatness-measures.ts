/**
 * The arithmetic that turns flatness's measured losses into its measures, shared by a one-process
 * run and by the merge of its shards: both reduce the same per-direction numbers in the same
 * order, so a merged result equals the one-process result bit for bit.
 */
import type { DirectionFlatness, LossFlatness } from '../results/flatness-schema.ts';

export type FlatnessKind = 'clean' | 'adversarial';

/** A Hessian eigenvalue and whether its eigensolver converged (null: not computed). */
export interface Eigen {
  value: number | null;
  converged: boolean | null;
}

/** A random direction's numbers with its index and curvatures (what the measures need). */
export type DirectionNumbers = Required<DirectionFlatness>;

/** What the measures are made of, per loss; `worst` and `eigen` are null where not computed (shards other than 0). */
export interface FlatnessParts {
  adversarial: boolean;
  atTheta: Record<FlatnessKind, number | null>;
  /** Ordered by m. */
  perDirection: DirectionNumbers[];
  /** L(θ + ρ_adv·v) − L(θ) along the adversarial direction. */
  worst: Record<FlatnessKind, number | null> | null;
  eigen: Record<FlatnessKind, Eigen> | null;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The per-direction curvature (L(θ + ρd) + L(θ − ρd) − 2L(θ))/ρ². */
export const directionCurvature = (plus: number, minus: number, base: number, rho: number): number =>
  (plus + minus - 2 * base) / rho ** 2;

function lossFlatness(kind: FlatnessKind, parts: FlatnessParts): LossFlatness {
  const increases = parts.perDirection.map((p) => p[kind]!);
  const eigen = parts.eigen?.[kind] ?? { value: null, converged: null };
  return {
    atTheta: parts.atTheta[kind]!,
    averageIncrease: mean(increases),
    maxIncrease: Math.max(...increases),
    adversarialDirectionIncrease: parts.worst?.[kind] ?? null,
    curvature: mean(parts.perDirection.map((p) => p.curvature[kind]!)),
    hessianTopEigenvalue: eigen.value,
    hessianConverged: eigen.converged,
  };
}

/** The clean and adversarial measures (adversarial null with `--attack none`) over the given directions. */
export function flatnessMeasures(parts: FlatnessParts): { clean: LossFlatness; adversarial: LossFlatness | null } {
  return {
    clean: lossFlatness('clean', parts),
    adversarial: parts.adversarial ? lossFlatness('adversarial', parts) : null,
  };
}
