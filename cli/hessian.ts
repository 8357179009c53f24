/** `weightscape hessian`: exact top eigenvalues, trace, spectral density and per-layer numbers of the loss Hessian. */
import { Command, Option } from 'commander';
import { parseAttack } from '../src/attacks/attack-spec.ts';
import { parseDataSpec } from '../src/data/dataset.ts';
import { WeightscapeError } from '../src/errors.ts';
import { analyzeHessian, type HessianResult } from '../src/hessian/analyze-hessian.ts';
import { minimumRelativeSigma } from '../src/hessian/spectral-density.ts';
import { createContext } from './context.ts';
import { positiveInteger, positiveNumber } from './parse-number.ts';
import { addModelOptions, checkpointPath, modelRequest, type ModelFlags } from './model-options.ts';
import { claimOutputs, writeOutput } from './output.ts';

interface HessianFlags extends ModelFlags {
  checkpoint?: string;
  data: string;
  split: 'train' | 'test';
  subset: string;
  batchSize: string;
  loss: 'clean' | 'adversarial';
  attack?: string;
  bn: 'eval' | 'train';
  topK: string;
  tolerance: string;
  maxIterations: string;
  trace: boolean;
  probes: string;
  density: boolean;
  densityRuns: string;
  densitySteps: string;
  sigma: string;
  points: string;
  perLayer: boolean;
  json?: boolean;
  out?: string;
}

/** A value with its convergence: one that did not converge never reads as a plain number. */
function eigenvalueText(e: { value: number; converged: boolean }): string {
  return `${e.value.toPrecision(6)}${e.converged ? '' : ' (not converged)'}`;
}

/** The readable summary: eigenvalues, trace, density extent, per-layer rows. */
export function formatHessianTable(result: HessianResult): string {
  const { settings } = result;
  const lines = [
    `${result.model.arch} ${JSON.stringify(result.model.options)}: Hessian of the mean cross-entropy over ` +
      `${settings.examples} ${settings.loss} examples (${settings.attack ?? 'no attack'}), BatchNorm ${settings.bn}; ` +
      `${result.lanczos.iterations} Lanczos iterations, ${result.lanczos.hessianVectorProducts} exact products`,
    `${'k'.padStart(3)}  ${'eigenvalue'.padEnd(28)}residual`,
    ...result.eigenvalues.map(
      (e) =>
        `${String(e.index).padStart(3)}  ${eigenvalueText(e).padEnd(28)}${e.residual === null ? 'undefined (λ = 0)' : e.residual.toExponential(2)}`,
    ),
  ];
  if (result.trace !== null)
    lines.push(
      `trace ${result.trace.estimate.toPrecision(6)} ± ${result.trace.standardError.toPrecision(3)} ` +
        `(standard error, ${result.trace.probes} Rademacher probes)`,
    );
  if (result.density !== null) {
    const nodes = result.density.runs.flatMap((r) => r.nodes);
    lines.push(
      `density: ${result.density.runs.length} quadrature runs, Ritz values from ${Math.min(...nodes).toPrecision(4)} ` +
        `to ${Math.max(...nodes).toPrecision(4)}, σ ${result.density.sigma.toPrecision(3)}`,
    );
  }
  if (result.perLayer !== null) {
    const width = Math.max(...result.perLayer.map((l) => l.name.length), 6) + 2;
    lines.push(`${'tensor'.padEnd(width)}${'parameters'.padStart(11)}  ${'top eigenvalue'.padEnd(28)}trace`);
    for (const l of result.perLayer)
      lines.push(
        `${l.name.padEnd(width)}${String(l.parameters).padStart(11)}  ${eigenvalueText(l.topEigenvalue).padEnd(28)}` +
          (l.trace === null ? '-' : `${l.trace.estimate.toPrecision(5)} ± ${l.trace.standardError.toPrecision(2)}`),
      );
  }
  return lines.join('\n');
}

/** Phase and product count on one rewritten line, only on a terminal. */
function progress(): ((phase: string, products: number) => void) & { end: () => void } {
  const tty = process.stderr.isTTY;
  const update = (phase: string, products: number) => {
    if (tty) process.stderr.write(`\rhessian: ${phase}, ${products} Hessian-vector products\u001b[K`);
  };
  return Object.assign(update, { end: () => tty && process.stderr.write('\n') });
}

/** What the algorithms would refuse only after the model is loaded, refused before any work, by flag. */
function checkHessianFlags(
  flags: HessianFlags,
  request: {
    topK: number;
    tolerance: number;
    maxIterations: number;
    density: { points: number; sigma: number } | null;
  },
): void {
  const refuse = (message: string) => {
    throw new WeightscapeError('bad-argument', message);
  };
  if (flags.attack !== undefined && flags.loss !== 'adversarial')
    refuse('--attack: only with --loss adversarial (the clean loss has no attack)');
  if (request.tolerance >= 1) refuse(`--tolerance: expected a relative residual below 1 (got ${flags.tolerance})`);
  if (request.maxIterations < request.topK)
    refuse(`--max-iterations: ${request.maxIterations} cannot find --top-k ${request.topK} eigenvalues`);
  if (flags.trace && positiveInteger('probes', flags.probes) < 2)
    refuse('--probes: at least 2 (a standard error needs two probes)');
  const density = request.density;
  if (density !== null) {
    if (density.points < 20) refuse(`--points: at least 20 (got ${density.points})`);
    const minimum = minimumRelativeSigma(density.points);
    if (density.sigma < minimum)
      refuse(
        `--sigma: ${density.sigma} is below one grid spacing of --points ${density.points} ` +
          `(at least ${minimum.toPrecision(3)}): use a larger sigma or more points`,
      );
  }
}

export function hessianCommand(): Command {
  return addModelOptions(
    new Command('hessian')
      .description(
        'exact Hessian of the loss (forward-over-reverse products): top eigenvalues by Lanczos, trace by Hutchinson, ' +
          'spectral density by stochastic Lanczos quadrature, per-layer blocks',
      )
      .option('--checkpoint <file>', 'checkpoint (default: the --model file)')
      .requiredOption('--data <spec>', 'data (see eval)')
      .addOption(new Option('--split <split>', 'which split').choices(['train', 'test']).default('test'))
      .option('--subset <n>', 'class-stratified subset of examples the loss averages over', '500')
      .option('--batch-size <n>', 'images per batch', '128')
      .addOption(
        new Option('--loss <kind>', 'clean examples, or adversarial ones made at θ and held fixed')
          .choices(['clean', 'adversarial'])
          .default('clean'),
      )
      .option('--attack <spec>', "attack for --loss adversarial (default: PGD-10 at the data's usual eps)")
      .addOption(
        new Option('--bn <mode>', 'BatchNorm statistics: running (eval) or each batch’s (train)')
          .choices(['eval', 'train'])
          .default('eval'),
      )
      .option('--top-k <k>', 'largest eigenvalues to find', '1')
      .option('--tolerance <x>', 'relative residual ‖Hv − λv‖/|λ| each eigenvalue must reach', '1e-3')
      .option('--max-iterations <n>', 'Lanczos iterations at most (each one product; vectors kept in memory)', '100')
      .option('--trace', 'estimate the trace (Hutchinson, Rademacher probes)', false)
      .option('--probes <n>', 'probes of the trace estimate', '100')
      .option('--density', 'estimate the spectral density (stochastic Lanczos quadrature)', false)
      .option('--density-runs <n>', 'quadrature runs (random start vectors)', '3')
      .option('--density-steps <n>', 'Lanczos steps per run', '100')
      .option('--sigma <x>', 'Gaussian smoothing width as a fraction of the spectrum’s extent', '0.005')
      .option('--points <n>', 'grid points of the density', '1000')
      .option('--per-layer', "each parameter tensor's block: top eigenvalue (and trace with --trace)", false)
      .option('--json', 'print the result as JSON')
      .option('--out <file>', 'also write the JSON result here'),
  ).action(async (flags: HessianFlags, command: Command) => {
    claimOutputs('hessian', [{ flag: '--out', path: flags.out, kind: 'file' }]);
    if (flags.attack !== undefined && flags.loss !== 'adversarial')
      throw new WeightscapeError(
        'bad-argument',
        '--attack: only with --loss adversarial (the clean loss has no attack)',
      );
    const request = {
      checkpoint: checkpointPath(flags),
      data: parseDataSpec(flags.data),
      split: flags.split,
      subset: positiveInteger('subset', flags.subset),
      batchSize: positiveInteger('batch-size', flags.batchSize),
      loss: flags.loss,
      attack: flags.attack === undefined ? undefined : parseAttack(flags.attack),
      bn: flags.bn,
      topK: positiveInteger('top-k', flags.topK),
      tolerance: positiveNumber('tolerance', flags.tolerance),
      maxIterations: positiveInteger('max-iterations', flags.maxIterations),
      trace: flags.trace ? { probes: positiveInteger('probes', flags.probes) } : null,
      density: flags.density
        ? {
            runs: positiveInteger('density-runs', flags.densityRuns),
            steps: positiveInteger('density-steps', flags.densitySteps),
            sigma: positiveNumber('sigma', flags.sigma),
            points: positiveInteger('points', flags.points),
          }
        : null,
      perLayer: flags.perLayer,
    };
    checkHessianFlags(flags, request);
    const context = await createContext(command);
    const onProgress = progress();
    const result = analyzeHessian({
      ...request,
      seed: context.options.seed,
      model: modelRequest(flags),
      backend: context.backend,
      onProgress,
    });
    onProgress.end();
    for (const note of result.notes) context.stderr(`note: ${note}`);
    const json = `${JSON.stringify(result, null, 2)}\n`;
    if (flags.out !== undefined) writeOutput(flags.out, json, [checkpointPath(flags)]);
    context.stdout(flags.json ? json : formatHessianTable(result));
  });
}
