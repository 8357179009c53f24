/** `weightscape train`: standard, PGD-AT, TRADES or MART training, each with or without AWP. */
import { Command, Option } from 'commander';
import { WeightscapeError } from '../src/errors.ts';
import { parseDataSpec } from '../src/data/dataset.ts';
import { architecture } from '../src/models/registry.ts';
import { initSettings } from '../src/train/init-checkpoint.ts';
import { parseSaveEpochs, resolveTrainConfig, trainWarnings, type TrainConfig } from '../src/train/train-config.ts';
import { train } from '../src/train/trainer.ts';
import { createContext } from './context.ts';
import { addModelOptions, modelRequest, type ModelFlags } from './model-options.ts';
import { claimOutputs } from './output.ts';

interface TrainFlags extends ModelFlags {
  data: string;
  method: TrainConfig['method'];
  awp?: boolean;
  epochs: string;
  out: string;
  resume?: boolean;
  attack?: string;
  evalAttack?: string;
  lr?: string;
  momentum?: string;
  weightDecay?: string;
  schedule?: string;
  lrDecay?: string;
  batchSize?: string;
  subset?: string;
  evalSubset?: string;
  beta?: string;
  awpGamma?: string;
  awpWarmup?: string;
  awpSteps?: string;
  saveEvery?: string;
  saveEpochs?: string;
  init?: string;
}

function num(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value))
    throw new WeightscapeError('bad-argument', `--${flag}: expected a number (got '${text}')`);
  return value;
}

export function trainCommand(): Command {
  return addModelOptions(
    new Command('train')
      .description(
        'train a model (standard, pgd-at, trades, mart; --awp adds Adversarial Weight Perturbation); writes checkpoints and log.json to --out',
      )
      .requiredOption('--data <spec>', 'training data (its train split; metrics also on its test split)')
      .addOption(
        new Option('--method <method>', 'training method')
          .choices(['standard', 'pgd-at', 'trades', 'mart'])
          .default('pgd-at'),
      )
      .option('--awp', 'Adversarial Weight Perturbation (Wu, Xia & Wang 2020)')
      .requiredOption('--epochs <n>', 'epochs')
      .requiredOption('--out <dir>', 'run directory (model.safetensors, run-state.safetensors, log.json)')
      .option('--resume', 'continue the run in --out from its last finished epoch')
      .option('--attack <spec>', "training attack (default: PGD-10 L∞ at the data's usual eps)")
      .option('--eval-attack <spec>', 'attack for the per-epoch metrics (default: the training attack)')
      .option('--lr <x>', 'learning rate (default 0.1)')
      .option('--momentum <x>', 'SGD momentum (default 0.9)')
      .option('--weight-decay <x>', 'weight decay (default 5e-4)')
      .option(
        '--schedule <s>',
        'constant | cosine | piecewise:<epoch>,<epoch> (default: piecewise at 1/2 and 3/4 of the epochs)',
      )
      .option('--lr-decay <x>', 'factor at each piecewise milestone (default 0.1)')
      .option('--batch-size <n>', 'batch size (default 128)')
      .option('--subset <n>', 'class-stratified training subset (deterministic for --seed)')
      .option('--eval-subset <n>', 'size of the fixed evaluation subsets (default 1000)')
      .option('--beta <x>', 'TRADES / MART robust-term weight (default 6)')
      .option('--awp-gamma <x>', 'AWP relative bound (default 0.01; 0.005 for trades)')
      .option('--awp-warmup <n>', 'epochs without AWP first (default 0)')
      .option('--awp-steps <k>', 'AWP ascent steps inside the bound (default 1)')
      .option('--save-every <n>', 'also keep epochs/epoch-NNN.safetensors every n epochs (listed in log.json)')
      .option('--save-epochs <list>', 'also keep epochs/epoch-NNN.safetensors at these epochs (e.g. 10,20,30)')
      .option(
        '--init <checkpoint>',
        "start from this checkpoint's weights and BatchNorm statistics (fresh optimizer; architecture from it unless --arch)",
      ),
  ).action(async (flags: TrainFlags, command: Command) => {
    claimOutputs('train', [{ flag: '--out', path: flags.out, kind: 'directory' }]);
    const context = await createContext(command);
    const model = modelRequest(flags);
    // With --init the checkpoint decides the architecture (checked against --arch and its options if given).
    const fromInit =
      flags.init === undefined ? undefined : initSettings(flags.init, { ...model, data: parseDataSpec(flags.data) });
    if (model.arch === undefined && fromInit === undefined)
      throw new WeightscapeError('bad-argument', 'train: --arch is required (or --init <checkpoint>)');
    const modelSettings = fromInit ?? {
      arch: model.arch!,
      archOptions: architecture(model.arch!).parseOptions(model.options ?? {}) as Record<string, unknown>,
      classes: model.classes,
    };
    const config = resolveTrainConfig({
      ...modelSettings,
      data: flags.data,
      method: flags.method,
      awp: flags.awp ?? false,
      epochs: num('epochs', flags.epochs)!,
      attack: flags.attack,
      evalAttack: flags.evalAttack,
      lr: num('lr', flags.lr),
      momentum: num('momentum', flags.momentum),
      weightDecay: num('weight-decay', flags.weightDecay),
      schedule: flags.schedule,
      lrDecay: num('lr-decay', flags.lrDecay),
      batchSize: num('batch-size', flags.batchSize),
      subset: num('subset', flags.subset),
      evalSubset: num('eval-subset', flags.evalSubset),
      beta: num('beta', flags.beta),
      awpGamma: num('awp-gamma', flags.awpGamma),
      awpWarmup: num('awp-warmup', flags.awpWarmup),
      awpSteps: num('awp-steps', flags.awpSteps),
      saveEvery: num('save-every', flags.saveEvery),
      saveEpochs: flags.saveEpochs === undefined ? undefined : parseSaveEpochs(flags.saveEpochs),
      seed: context.options.seed,
    });
    context.stderr(`training configuration: ${JSON.stringify(config)}`);
    for (const warning of trainWarnings(config)) context.stderr(`warning: ${warning}`);
    const tty = process.stderr.isTTY;
    const log = train({
      config,
      outDir: flags.out,
      resume: flags.resume ?? false,
      backend: context.backend,
      onBatch: (epoch, batch, batches, loss) => {
        if (!tty) return;
        const width = 30;
        const done = Math.round(((batch + 1) / batches) * width);
        process.stderr.write(
          `\repoch ${epoch + 1}/${config.epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${batch + 1}/${batches} loss ${loss.toFixed(4)}`,
        );
      },
      onEpoch: (r) => {
        const robust = (m: typeof r.train) => (m.robust ? `${(100 * m.robust.accuracy).toFixed(1)}%` : '-');
        const clean = (m: typeof r.train) => (100 * m.clean.accuracy).toFixed(1);
        process.stderr.write(
          `${tty ? '\n' : ''}epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}, lr ${r.lr}, ` +
            `clean ${clean(r.train)}%/${clean(r.test)}% robust ${robust(r.train)}/${robust(r.test)} (train/test)` +
            `${r.gap ? `, gap ${(100 * r.gap.accuracy).toFixed(1)} points` : ''}, ${r.seconds.toFixed(1)} s\n`,
        );
      },
    });
    const last = log.epochs.at(-1);
    const gap = last?.gap ? `; final robust generalization gap ${(100 * last.gap.accuracy).toFixed(2)} points` : '';
    context.stdout(`wrote ${flags.out}/model.safetensors and log.json (${log.epochs.length} epochs)${gap}`);
  });
}
