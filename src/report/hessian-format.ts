/**
 * How a Hessian result's numbers are written in tables, labels and captions. An eigenvalue whose
 * iteration did not converge is an estimate: it is always written "<value> (not converged)", never
 * as a plain number (the one function here that writes an eigenvalue makes sure of it).
 */
import type { HessianResult, HessianTrace } from '../results/hessian-schema.ts';

/** A value to 4 significant digits, in exponent form outside 0.001–10000 (no "0.000" for a small eigenvalue). */
export function valueText(value: number): string {
  const size = Math.abs(value);
  if (value === 0) return '0';
  return size < 1e-3 || size >= 1e4 ? value.toExponential(3) : value.toPrecision(4);
}

/** An eigenvalue as a table shows it: "4.803 (not converged)" when its iteration stopped early. */
export function estimateText(value: number, converged: boolean): string {
  return converged ? valueText(value) : `${valueText(value)} (not converged)`;
}

/** A relative residual ‖Hv − λv‖/|λ|, two significant digits; null when λ = 0 (undefined). */
export function residualText(residual: number | null): string {
  if (residual === null) return 'undefined (λ = 0)';
  return residual === 0 ? '0' : residual.toExponential(1);
}

/** "61.87 ± 2.9": a trace estimate with its standard error (two significant digits); '–' when not measured. */
export function traceText(trace: HessianTrace | null): string {
  return trace === null ? '–' : `${valueText(trace.estimate)} ± ${trace.standardError.toPrecision(2)}`;
}

/** "trace 61.87 ± 2.9 (standard error, 100 Rademacher probes)". */
export function traceLine(trace: HessianTrace): string {
  return `trace ${traceText(trace)} (standard error, ${trace.probes} Rademacher probe${trace.probes === 1 ? '' : 's'})`;
}

/** The Lanczos settings and cost, for captions (iterations and Hessian-vector products spent). */
export function lanczosText(result: HessianResult): string {
  const s = result.settings;
  return (
    `top ${s.topK} eigenvalues by Lanczos to relative residual ${s.tolerance} (at most ${s.maxIterations} iterations): ` +
    `${result.lanczos.iterations} iterations, ${result.lanczos.hessianVectorProducts} Hessian-vector products`
  );
}

/** The density's settings: "stochastic Lanczos quadrature, 2 runs of 10 steps, Gaussian σ = 0.15, 200 points". */
export function densitySettingsText(result: HessianResult): string {
  const d = result.settings.density;
  const sigma = result.density?.sigma ?? d?.sigma;
  const runs = d?.runs ?? result.density?.runs.length ?? 0;
  return (
    `stochastic Lanczos quadrature, ${runs} run${runs === 1 ? '' : 's'}` +
    `${d ? ` of ${d.steps} steps` : ''}, Gaussian smoothing σ = ${sigma}, ` +
    `${result.density?.grid.length ?? d?.points ?? 0} points`
  );
}
