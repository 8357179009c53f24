/** `weightscape sample`: the loss along one or two weight directions, as a landscape result. */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { parseAttack } from '../src/attacks/attack-spec.ts';
import { parseDataSpec } from '../src/data/dataset.ts';
import { parseDirection } from '../src/directions/direction-spec.ts';
import { WeightscapeError } from '../src/errors.ts';
import { flatnessUndefinedReason } from '../src/landscape/flatness-1d.ts';
import { parseRange } from '../src/landscape/grid.ts';
import { readLandscape } from '../src/landscape/read-result.ts';
import { shardProgress } from '../src/landscape/shard-progress.ts';
import { sampleLandscape, type LandscapeResult, type SweepSettings } from '../src/landscape/sample-landscape.ts';
import type { Flatness1D } from '../src/results/landscape-schema.ts';
import { sampleInWorkers } from '../src/landscape/parallel-sample.ts';
import { createContext } from './context.ts';
import { positiveInteger } from './parse-number.ts';
import { addModelOptions, checkpointPath, modelRequest, type ModelFlags } from './model-options.ts';
import { claimOutputs, progressLine } from './output.ts';
import { addShardOptions, shardFromFlags, type ShardFlags } from './shard-options.ts';
import { resolve } from 'node:path';

interface SampleFlags extends ModelFlags, ShardFlags {
  checkpoint?: string;
  data: string;
  split: 'train' | 'test';
  subset?: string;
  batchSize: string;
  direction: string;
  direction2?: string;
  includeBn?: boolean;
  loss: 'clean' | 'adversarial';
  attack: string;
  fixedExamples?: boolean;
  bn: 'eval' | 'recalibrate';
  recalibrationBatches: string;
  range: string;
  range2?: string;
  workers: string;
  resume?: boolean;
  out: string;
  saveDirection?: string;
  saveDirection2?: string;
  json?: boolean;
}

/** What a shard holds of its own points, and what to do next. */
function shardSummary(result: LandscapeResult): string {
  const { done, total } = shardProgress(result);
  const { index, count } = result.shard!;
  return ` (shard ${index}/${count}: ${done} of its ${total} points${done === total ? '; join the shards with weightscape merge' : ''})`;
}

export function sampleCommand(): Command {
  return addModelOptions(
    addShardOptions(new Command('sample'), 'points', 'join the shards with weightscape merge')
      .description('loss and accuracy of θ + α·d (+ β·e) on a grid: 1D curves or 2D surfaces, clean or adversarial')
      .option('--checkpoint <file>', 'checkpoint (default: the --model file)')
      .requiredOption('--data <spec>', 'data (see eval)')
      .addOption(new Option('--split <split>', 'which split').choices(['train', 'test']).default('test'))
      .option('--subset <n>', 'class-stratified subset (deterministic for --seed)')
      .option('--batch-size <n>', 'images per batch', '128')
      .option(
        '--direction <spec>',
        'random | filter | layer | adversarial | hessian | interpolate:<ckpt> | file:<directions.safetensors>',
        'filter',
      )
      .option('--direction2 <spec>', 'second direction (2D sweep, with --range2)')
      .option('--include-bn', 'also move biases and BatchNorm parameters (default: direction 0 for them)')
      .addOption(
        new Option('--loss <kind>', 'clean loss, or adversarial loss with examples regenerated at each point')
          .choices(['clean', 'adversarial'])
          .default('clean'),
      )
      .option('--attack <spec>', 'attack for --loss adversarial (see eval)', 'none')
      .option('--fixed-examples', 'reuse adversarial examples made at θ (cheaper; the result says so)')
      .addOption(
        new Option('--bn <mode>', "BatchNorm statistics: the checkpoint's, or recomputed at each point")
          .choices(['eval', 'recalibrate'])
          .default('eval'),
      )
      .option('--recalibration-batches <n>', 'batches for --bn recalibrate', '4')
      .option('--range <start:stop:count>', 'α grid', '-1:1:21')
      .option('--range2 <start:stop:count>', 'β grid (2D)')
      .option('--workers <n>', 'worker threads, each with its own WASM backend', '1')
      .option('--resume', 'continue the sweep in --out')
      .requiredOption('--out <file>', 'result JSON (rewritten atomically after every point)')
      .option('--save-direction <file>', 'save the first direction (safetensors, PyTorch layout)')
      .option('--save-direction2 <file>', 'save the second direction')
      .option('--json', 'print the result JSON'),
  ).action(async (flags: SampleFlags, command: Command) => {
    const shard = shardFromFlags(flags);
    const context = await createContext(command);
    const directions = [flags.direction, ...(flags.direction2 === undefined ? [] : [flags.direction2])].map(
      parseDirection,
    );
    if ((flags.direction2 === undefined) !== (flags.range2 === undefined))
      throw new WeightscapeError('bad-argument', '--direction2 and --range2 go together');
    const attack = parseAttack(flags.attack);
    const settings: SweepSettings = {
      checkpoint: resolve(checkpointPath(flags)),
      data: parseDataSpec(flags.data),
      split: flags.split,
      subset: flags.subset === undefined ? null : positiveInteger('subset', flags.subset),
      batchSize: positiveInteger('batch-size', flags.batchSize),
      loss: flags.loss,
      attack,
      fixedExamples: flags.fixedExamples ?? false,
      bn: flags.bn,
      recalibrationBatches: positiveInteger('recalibration-batches', flags.recalibrationBatches),
      directions,
      includeBn: flags.includeBn ?? false,
      alphas: parseRange(flags.range),
      betas: flags.range2 === undefined ? null : parseRange(flags.range2, '--range2'),
      seed: context.options.seed,
    };
    if (!flags.resume && existsSync(flags.out))
      throw new WeightscapeError(
        'bad-argument',
        `--out ${flags.out}: exists; pass --resume to continue that sweep, or choose another file`,
      );
    if (resolve(flags.out) === settings.checkpoint)
      throw new WeightscapeError('bad-argument', `--out ${flags.out}: refusing to overwrite the checkpoint`);
    claimOutputs('sample', [
      { flag: '--out', path: flags.out, kind: 'file' },
      { flag: '--save-direction', path: flags.saveDirection, kind: 'file' },
      { flag: '--save-direction2', path: flags.saveDirection2, kind: 'file' },
    ]);
    const resumeFrom = flags.resume && existsSync(flags.out) ? readLandscape(flags.out) : undefined;
    const already = resumeFrom === undefined ? undefined : shardProgress(resumeFrom, shard);

    const request = {
      settings,
      model: modelRequest(flags),
      backend: context.backend,
      out: flags.out,
      resumeFrom,
      shard,
      saveDirections: [flags.saveDirection, flags.saveDirection2],
      onPoint: progressLine('sample', { unit: 'points', alreadyDone: already?.done }),
      onNote: (note: string) => context.stderr(`note: ${note}`),
      onResume: ({ done, total }: { done: number; total: number }) =>
        context.stderr(`resuming ${flags.out}: ${done} of ${total} points already computed`),
    };
    const workers = positiveInteger('workers', flags.workers);
    if (workers > 1 && context.backend.name !== 'wasm')
      throw new WeightscapeError('bad-argument', '--workers: worker threads run the wasm backend; pass --backend wasm');
    const result = workers > 1 ? await sampleInWorkers(request, workers) : sampleLandscape(request);
    for (const note of result.notes) context.stderr(`note: ${note}`);
    if (flags.json) {
      context.stdout(JSON.stringify(result, null, 2));
      return;
    }
    const f = result.flatness;
    const noFlatness =
      result.complete && result.grid.betas === null && f === null
        ? `\n${flatnessUndefinedReason(result.grid.alphas) ?? 'flatness not computed'}`
        : '';
    const { grid } = result;
    const points = grid.alphas.length * (grid.betas?.length ?? 1);
    const curve = (name: string, c: Flatness1D) =>
      `\n${name} loss at 0 ${c.atZero.toFixed(4)}, increase at ρ=${c.rho} ${c.increaseMax.toFixed(4)}, ` +
      `curvature ${c.curvature.toFixed(4)}`;
    context.stdout(
      `wrote ${flags.out}: ${result.complete ? 'complete' : 'partial'} ${grid.betas ? '2D' : '1D'} sweep, ${points} points` +
        (result.shard ? shardSummary(result) : '') +
        (f ? curve('clean', f.clean) + (f.adversarial ? curve('adversarial', f.adversarial) : '') : noFlatness),
    );
  });
}
