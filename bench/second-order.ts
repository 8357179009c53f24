/**
 * The second-order summary of a benchmark run: per engine, model and thread count, what one exact
 * Hessian-vector product costs in gradients of the same engine, beside PyTorch's double backward.
 */

interface TimedRow {
  engine: string;
  model: string;
  workload: string;
  threads: number;
  ms: number;
}

/** PyTorch's times by thread count, model and workload (ms). */
export type TorchBars = Record<string, Record<string, Record<string, number>> | undefined>;

export interface SecondOrderRatio {
  engine: string;
  model: string;
  threads: number;
  gradientMs: number;
  hvpMs: number;
  /** hvpMs / gradientMs: the target is at most 3. */
  hvpPerGradient: number;
  torchGradientMs?: number;
  /** PyTorch's gradient in eval mode, the HVP's own BatchNorm mode (weightscape's gradient is train mode). */
  torchGradientEvalMs?: number;
  torchHvpMs?: number;
  torchHvpPerGradient?: number;
  /** torchHvpMs / hvpMs: the target is at least 1. */
  hvpSpeedupOverTorch?: number;
}

/** One entry per (engine, model, threads) that has both a gradient and a Hessian-vector product row. */
export function secondOrderRatios(rows: readonly TimedRow[], torch: TorchBars): SecondOrderRatio[] {
  const find = (r: TimedRow, workload: string) =>
    rows.find(
      (o) => o.engine === r.engine && o.model === r.model && o.threads === r.threads && o.workload === workload,
    );
  return rows.flatMap((hvp) => {
    if (hvp.workload !== 'hessian-vector product') return [];
    const gradient = find(hvp, 'parameter gradient');
    if (gradient === undefined) return [];
    const entry: SecondOrderRatio = {
      engine: hvp.engine,
      model: hvp.model,
      threads: hvp.threads,
      gradientMs: gradient.ms,
      hvpMs: hvp.ms,
      hvpPerGradient: hvp.ms / gradient.ms,
    };
    const bar = torch[String(hvp.threads)]?.[hvp.model];
    const torchGradient = bar?.['parameter gradient'];
    const torchHvp = bar?.['hessian-vector product'];
    if (torchGradient !== undefined) entry.torchGradientMs = torchGradient;
    if (bar?.['parameter gradient (eval)'] !== undefined) entry.torchGradientEvalMs = bar['parameter gradient (eval)'];
    if (torchHvp !== undefined) {
      entry.torchHvpMs = torchHvp;
      entry.hvpSpeedupOverTorch = torchHvp / hvp.ms;
      if (torchGradient !== undefined) entry.torchHvpPerGradient = torchHvp / torchGradient;
    }
    return [entry];
  });
}

const fixed = (x: number | undefined, width: number, digits = 1) =>
  (x === undefined ? '-' : x.toFixed(digits)).padStart(width);

/** The printed table of the ratios. */
export function secondOrderLines(ratios: readonly SecondOrderRatio[]): string[] {
  if (ratios.length === 0) return [];
  return [
    'Second order: one exact Hessian-vector product (BatchNorm eval) against one parameter gradient (train mode)',
    'engine            model                        threads  grad ms   HVP ms  HVP/grad  ' +
      'torch grad  torch grad(eval)  torch HVP  torch HVP/grad  torch HVP / HVP',
    ...ratios.map(
      (r) =>
        `${r.engine.padEnd(18)}${r.model.padEnd(29)}${String(r.threads).padStart(7)}` +
        `${fixed(r.gradientMs, 9)}${fixed(r.hvpMs, 9)}${fixed(r.hvpPerGradient, 10, 2)}` +
        `${fixed(r.torchGradientMs, 12)}${fixed(r.torchGradientEvalMs, 18)}${fixed(r.torchHvpMs, 11)}` +
        `${fixed(r.torchHvpPerGradient, 16, 2)}${fixed(r.hvpSpeedupOverTorch, 17, 2)}`,
    ),
  ];
}
