/** `weightscape flatness`: average- and worst-case flatness, curvature and the top Hessian eigenvalue. */
import { Command, Option } from 'commander';
import { parseAttack } from '../src/attacks/attack-spec.ts';
import { parseDataSpec } from '../src/data/dataset.ts';
import { WeightscapeError } from '../src/errors.ts';
import { measureFlatness, type FlatnessResult, type LossFlatness } from '../src/landscape/flatness.ts';
import { createContext } from './context.ts';
import { positiveInteger, positiveNumber } from './parse-number.ts';
import { addModelOptions, checkpointPath, modelRequest, type ModelFlags } from './model-options.ts';
import { claimOutputs, progressLine, writeOutput } from './output.ts';
import { addShardOptions, shardFromFlags, type ShardFlags } from './shard-options.ts';

interface FlatnessFlags extends ModelFlags, ShardFlags {
  checkpoint?: string;
  data: string;
  split: 'train' | 'test';
  subset?: string;
  rho: string;
  rhoAdversarial: string;
  directions: string;
  attack?: string;
  hessian: boolean;
  hessianBatches: string;
  batchSize: string;
  json?: boolean;
  out?: string;
}

/** An eigenvalue with its convergence: an estimate from an eigensolver that did not converge says so. */
function eigenvalueCell(f: LossFlatness): string {
  if (f.hessianTopEigenvalue === null) return '-'.padStart(10);
  return `${f.hessianTopEigenvalue.toFixed(4).padStart(10)}${f.hessianConverged === false ? ' (not converged)' : ''}`;
}

/** The readable table: one row per loss; a loss that was not measured says so. */
export function formatFlatnessTable(result: FlatnessResult): string {
  const row = (name: string, f: LossFlatness | null) =>
    f === null
      ? `${name.padEnd(12)}not measured (--attack none)`
      : [
          name.padEnd(12),
          f.atTheta.toFixed(4).padStart(9),
          f.averageIncrease.toFixed(4).padStart(11),
          f.maxIncrease.toFixed(4).padStart(9),
          (f.adversarialDirectionIncrease?.toFixed(4) ?? '-').padStart(10),
          f.curvature.toFixed(4).padStart(11),
          eigenvalueCell(f),
        ].join('');
  const { settings, shard } = result;
  return [
    ...(shard
      ? [
          `shard ${shard.index}/${shard.count}: over random directions ` +
            `${result.perDirection.map((d) => d.m).join(', ')} of ${settings.directions} only` +
            `${shard.index === 0 ? '' : '; Δ(ρ_adv) and λmax are computed by shard 0'}; ` +
            "not the run's figures: join the shards with weightscape merge",
        ]
      : []),
    `${result.model.arch} ${JSON.stringify(result.model.options)}: ` +
      `ρ = ${settings.rho} along ${settings.directions} random filter-normalized directions, ` +
      `ρ_adv = ${settings.rhoAdversarial} along the adversarial one; attack ${settings.attack}`,
    [
      'loss'.padEnd(12),
      'at θ'.padStart(9),
      'mean Δ(ρ)'.padStart(11),
      'max Δ(ρ)'.padStart(9),
      'Δ(ρ_adv)'.padStart(10),
      'curvature'.padStart(11),
      'λmax'.padStart(10),
    ].join(''),
    row('clean', result.clean),
    row('adversarial', result.adversarial),
  ].join('\n');
}

export function flatnessCommand(): Command {
  return addModelOptions(
    addShardOptions(new Command('flatness'), 'random directions', 'join the shards with weightscape merge')
      .description(
        'loss increase at radius ρ along random filter-normalized directions (mean, max) and the adversarial direction, ' +
          'curvature, top Hessian eigenvalue; clean and adversarial',
      )
      .option('--checkpoint <file>', 'checkpoint (default: the --model file)')
      .requiredOption('--data <spec>', 'data (see eval)')
      .addOption(new Option('--split <split>', 'which split').choices(['train', 'test']).default('test'))
      .option('--subset <n>', 'class-stratified subset', '500')
      .option('--rho <x>', 'radius along the filter-normalized directions', '0.5')
      .option('--rho-adversarial <x>', 'radius along the (filter-normalized) adversarial direction', '0.05')
      .option('--directions <m>', 'number of random directions', '10')
      .option('--attack <spec>', "attack for the adversarial loss (default: PGD-10 at the data's usual eps)")
      .option('--no-hessian', 'skip the Hessian eigenvalues')
      .option(
        '--hessian-batches <n>',
        'batches averaged in Hessian-vector products (and for the adversarial direction)',
        '2',
      )
      .option('--batch-size <n>', 'images per batch', '128')
      .option('--json', 'print the result as JSON')
      .option('--out <file>', 'also write the JSON result here (needed with --shard)'),
  ).action(async (flags: FlatnessFlags, command: Command) => {
    const shard = shardFromFlags(flags);
    if (shard !== undefined && flags.out === undefined)
      throw new WeightscapeError(
        'bad-argument',
        '--shard: give --out for the shard result, to join with weightscape merge',
      );
    claimOutputs('flatness', [{ flag: '--out', path: flags.out, kind: 'file' }]);
    const context = await createContext(command);
    const result = measureFlatness({
      checkpoint: checkpointPath(flags),
      data: parseDataSpec(flags.data),
      split: flags.split,
      subset: flags.subset === undefined ? undefined : positiveInteger('subset', flags.subset),
      rho: positiveNumber('rho', flags.rho),
      rhoAdversarial: positiveNumber('rho-adversarial', flags.rhoAdversarial),
      directions: positiveInteger('directions', flags.directions),
      attack: flags.attack === undefined ? undefined : parseAttack(flags.attack),
      hessian: flags.hessian,
      hessianBatches: positiveInteger('hessian-batches', flags.hessianBatches),
      batchSize: positiveInteger('batch-size', flags.batchSize),
      seed: context.options.seed,
      model: modelRequest(flags),
      backend: context.backend,
      shard,
      onProgress: progressLine('flatness', { unit: 'evaluations' }),
    });
    // Notes go to stderr whatever the output format: a non-converged Hessian is not to be missed.
    for (const note of result.notes) context.stderr(`note: ${note}`);
    const json = `${JSON.stringify(result, null, 2)}\n`;
    if (flags.out !== undefined) writeOutput(flags.out, json, [checkpointPath(flags)]);
    context.stdout(flags.json ? json : formatFlatnessTable(result));
  });
}
