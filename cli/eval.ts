/** `weightscape eval`: clean and robust loss and accuracy per split, and the robust generalization gap. */
import { Command, Option } from 'commander';
import { parseAttack } from '../src/attacks/attack-spec.ts';
import { parseDataSpec, type Split } from '../src/data/dataset.ts';
import { evaluateCheckpoint, type EvalResult } from '../src/eval/evaluate-checkpoint.ts';
import { createContext } from './context.ts';
import { positiveInteger } from './parse-number.ts';
import { addModelOptions, checkpointPath, modelRequest, type ModelFlags } from './model-options.ts';
import { claimOutputs, progressLine, writeOutput } from './output.ts';
import { addShardOptions, shardFromFlags, type ShardFlags } from './shard-options.ts';

interface EvalFlags extends ModelFlags, ShardFlags {
  checkpoint?: string;
  data: string;
  attack: string;
  split: 'train' | 'test' | 'both';
  subset?: string;
  batchSize: string;
  json?: boolean;
  out?: string;
  maskingCheck: boolean;
}

const percent = (v: number) => `${(100 * v).toFixed(2)}%`;

/** The readable table: one row per split, then the gap. */
export function formatEvalTable(result: EvalResult): string {
  const rows = [
    [
      'split'.padEnd(7),
      'images'.padStart(8),
      'clean loss'.padStart(12),
      'clean acc'.padStart(11),
      'robust loss'.padStart(13),
      'robust acc'.padStart(12),
    ].join(''),
  ];
  for (const [split, m] of Object.entries(result.splits)) {
    rows.push(
      `${split.padEnd(7)}${String(m!.count).padStart(8)}${m!.clean.loss.toFixed(4).padStart(12)}${percent(m!.clean.accuracy).padStart(11)}` +
        `${(m!.robust?.loss.toFixed(4) ?? '-').padStart(13)}${(m!.robust ? percent(m!.robust.accuracy) : '-').padStart(12)}`,
    );
  }
  const shard = result.shard ? `, shard ${result.shard.index}/${result.shard.count} (its batches only)` : '';
  const lines = [
    `${result.model.arch} ${JSON.stringify(result.model.options)}, attack ${result.attack}${shard}`,
    ...rows,
  ];
  for (const [split, m] of Object.entries(result.splits)) {
    for (const member of m!.members ?? [])
      lines.push(
        `  ${split}: after ${member.attack}: robust ${percent(member.robustAccuracy)} (fooled ${member.fooled})`,
      );
    if (m!.pgdCheck)
      lines.push(`  ${split}: ${m!.pgdCheck.attack} (masking check): robust ${percent(m!.pgdCheck.accuracy)}`);
  }
  if (result.gap)
    lines.push(
      `robust generalization gap (train − test): accuracy ${(100 * result.gap.accuracy).toFixed(2)} points, loss ${result.gap.loss.toFixed(4)}`,
    );
  return lines.join('\n');
}

export function evalCommand(): Command {
  return addModelOptions(
    addShardOptions(new Command('eval'), 'batches', 'join the shards with weightscape merge')
      .description(
        'clean and robust loss and accuracy on the training and test splits, and the robust generalization gap',
      )
      .option(
        '--checkpoint <file>',
        'checkpoint (.pt/.pth, .safetensors, TF.js model.json) (default: the --model file)',
      )
      .requiredOption(
        '--data <spec>',
        'fashion-mnist[:<dir>], mnist[:<dir>], cifar10:<dir>, cifar100:<dir>, npy:<images>,<labels>, mini',
      )
      .option(
        '--attack <spec>',
        'e.g. pgd:linf:eps=8/255:steps=20:step=2/255, pgd:l2:eps=0.5, fgsm:eps=0.1, apgd:linf:eps=8/255:loss=dlr, ' +
          'apgd-t:linf:eps=8/255:targets=9, square:linf:eps=8/255:queries=5000, autoattack:linf:eps=8/255[:version=rand], none',
        'none',
      )
      .addOption(
        new Option('--split <split>', 'which splits to evaluate').choices(['train', 'test', 'both']).default('both'),
      )
      .option('--subset <n>', 'class-stratified subset of each split (deterministic for --seed)')
      .option('--batch-size <n>', 'images per batch', '128')
      .option('--json', 'print the result as JSON')
      .option('--out <file>', 'also write the JSON result here (atomically)')
      .option(
        '--no-masking-check',
        'with apgd, apgd-t, square or autoattack, skip the PGD-10 run on the same examples that checks for gradient masking',
      ),
  ).action(async (flags: EvalFlags, command: Command) => {
    const shard = shardFromFlags(flags);
    claimOutputs('eval', [{ flag: '--out', path: flags.out, kind: 'file' }]);
    const attack = parseAttack(flags.attack);
    const context = await createContext(command);
    const splits: Split[] = flags.split === 'both' ? ['train', 'test'] : [flags.split];
    const progress = new Map<Split, (done: number, total: number) => void>();
    const result = evaluateCheckpoint({
      checkpoint: checkpointPath(flags),
      data: parseDataSpec(flags.data),
      splits,
      attack,
      subset: flags.subset === undefined ? undefined : positiveInteger('subset', flags.subset),
      model: modelRequest(flags),
      batchSize: positiveInteger('batch-size', flags.batchSize),
      backend: context.backend,
      seed: context.options.seed,
      maskingCheck: flags.maskingCheck,
      shard,
      onProgress: (split, done, total) => {
        if (!progress.has(split)) progress.set(split, progressLine(`eval ${split}`, { unit: 'examples' }));
        progress.get(split)!(done, total);
      },
    });
    // Notes (warnings among them) go to stderr whatever the output format.
    for (const note of result.notes) context.stderr(`note: ${note}`);
    const json = `${JSON.stringify(result, null, 2)}\n`;
    if (flags.out !== undefined)
      writeOutput(flags.out, json, [checkpointPath(flags), ...flags.data.replace(/^[a-z0-9-]+:/, '').split(',')]);
    context.stdout(flags.json ? json : formatEvalTable(result));
  });
}
