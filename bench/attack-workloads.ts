/**
 * The full-size attack workloads (issue 20) on the full-width preact-resnet18, batch 128: APGD-CE
 * (L∞ 8/255, 100 iterations, 1 restart) and the standard AutoAttack (L∞ 8/255: APGD-CE, APGD-T
 * with 9 targets, Square with 5000 queries, each on the examples still robust), through
 * apgdAttack and autoAttack as the CLI calls them. The model's weights and images are random, so
 * the labels are its own clean predictions: every example is clean-correct and attacked (random
 * labels would leave ~10% to attack). bench/torch_workloads.py runs the same in PyTorch.
 *
 * WEIGHTSCAPE_BENCH_ATTACK_SMOKE=1 shrinks both sides to a plumbing check of seconds: width 8,
 * 16 images, 5 APGD iterations, 20 Square queries.
 */
import * as tf from '@tensorflow/tfjs';
import { apgdAttack } from '../src/attacks/apgd.ts';
import { autoAttack } from '../src/attacks/autoattack.ts';
import { squareAttack } from '../src/attacks/square.ts';
import type { InputObjective, ModelFunction } from '../src/models/model-function.ts';
import { modelFunction } from '../src/models/engine-registry.ts';
import type { ModelConfig } from '../src/models/types.ts';
import { initWeights } from '../src/train/init-weights.ts';
import {
  parseAttack,
  type ApgdSpec,
  type AttackSpec,
  type AutoAttackSpec,
  type SquareSpec,
} from '../src/attacks/attack-spec.ts';
import { FULL_WIDTH_MODEL, type AttackWorkload } from './workloads.ts';

/** The model, batch and budgets of the attack workloads: the issue's, or the smoke run's. */
export interface AttackScale {
  smoke: boolean;
  /** The name rows carry (the smoke run's says so). */
  model: string;
  config: ModelConfig;
  batch: number;
  /** APGD iterations (APGD-CE and APGD-T). */
  steps: number;
  /** Square's queries. */
  queries: number;
}

/** The scale WEIGHTSCAPE_BENCH_ATTACK_SMOKE selects (bench/torch_workloads.py reads the same variable). */
export function attackScale(env: NodeJS.ProcessEnv): AttackScale {
  if (env.WEIGHTSCAPE_BENCH_ATTACK_SMOKE !== '1')
    return {
      smoke: false,
      model: FULL_WIDTH_MODEL.name,
      config: FULL_WIDTH_MODEL.config,
      batch: 128,
      steps: 100,
      queries: 5000,
    };
  const config = { ...FULL_WIDTH_MODEL.config, options: { width: 8 } };
  return { smoke: true, model: 'preact-resnet18 (width 8, smoke)', config, batch: 16, steps: 5, queries: 20 };
}

/** The attack of a workload at a scale, as `--attack` would take it. */
export function attackSpec(workload: AttackWorkload, scale: AttackScale): AttackSpec {
  // Square at 1/255, a radius the random model survives, so that every example takes every query
  // (the work per query does not depend on the radius); 300 queries bound the run.
  if (workload === 'square') return parseAttack(`square:linf:eps=1/255:queries=${scale.smoke ? scale.queries : 300}`);
  if (workload === 'apgd-ce') return parseAttack(`apgd:linf:eps=8/255:loss=ce:steps=${scale.steps}:restarts=1`);
  // The smoke run keeps the standard sequence (APGD-CE, APGD-T with 9 targets, Square) on smaller budgets.
  return parseAttack(
    scale.smoke
      ? `autoattack:linf:eps=8/255:version=custom:attacks=apgd-ce+apgd-t+square:steps=${scale.steps}:queries=${scale.queries}`
      : 'autoattack:linf:eps=8/255',
  );
}

/** What one run of an attack workload did: examples attacked, fooled, and per AutoAttack member. */
export interface AttackFigures {
  attacked: number;
  fooled: number;
  fooledByMember?: number[];
  /** AutoAttack: each member's time in the last run (ms; a boundary is its last gradient's end). */
  memberMs?: number[];
}

export interface AttackWorkloadRun {
  /** One clean forward and one cross-entropy input gradient at the full batch (the engine's sessions). */
  warmup(): void;
  run(): AttackFigures;
  dispose(): void;
}

/**
 * Wraps `model` to note when the last input gradient of each objective ended: APGD-CE ascends the
 * cross-entropy, APGD-T the targeted DLR and Square queries logits only, so those times split an
 * AutoAttack run into its members (to within the host work between two members).
 */
function gradientClock(model: ModelFunction): { model: ModelFunction; lastEnd: Map<InputObjective, number> } {
  const lastEnd = new Map<InputObjective, number>();
  const wrapped = new Proxy(model, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop !== 'lossAndInputGradient') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: Parameters<ModelFunction['lossAndInputGradient']>) => {
        const result = target.lossAndInputGradient(...args);
        lastEnd.set(args[2], performance.now());
        return result;
      };
    },
  });
  return { model: wrapped, lastEnd };
}

/** An attack workload at a scale (random weights and images as modelWorkloads', the attacks' seed 0). */
export function attackWorkload(workload: AttackWorkload, scale: AttackScale): AttackWorkloadRun {
  const { config, batch } = scale;
  const spec = attackSpec(workload, scale);
  const weights = initWeights(config, 1);
  const { height, width, channels } = config.input;
  const x = tf.randomUniform([batch, height, width, channels], 0, 1, 'float32', 3) as tf.Tensor4D;
  const clock = gradientClock(modelFunction(config, weights, { training: false }));
  const model = clock.model;
  const labels = tf.tidy(() => tf.argMax(model.logits(x), 1).toInt() as tf.Tensor1D);
  const count = (flags: boolean[]) => flags.filter(Boolean).length;
  const run = (): AttackFigures => {
    if (workload === 'apgd-ce') {
      const outcome = apgdAttack(model, x, labels, spec as ApgdSpec, 0);
      tf.tidy(() => tf.sum(outcome.xAdv).dataSync());
      outcome.xAdv.dispose();
      return { attacked: batch, fooled: count(outcome.fooled) };
    }
    if (workload === 'square') {
      const outcome = squareAttack(model, x, labels, spec as SquareSpec, 0);
      tf.tidy(() => tf.sum(outcome.xAdv).dataSync());
      outcome.xAdv.dispose();
      return { attacked: batch, fooled: count(outcome.fooled) };
    }
    clock.lastEnd.clear();
    const start = performance.now();
    const outcome = autoAttack(model, x, labels, spec as AutoAttackSpec, 0);
    tf.tidy(() => tf.sum(outcome.xAdv).dataSync());
    outcome.xAdv.dispose();
    const end = performance.now();
    const ceEnd = clock.lastEnd.get('cross-entropy') ?? start;
    const targetedEnd = clock.lastEnd.get('dlr-targeted') ?? ceEnd;
    return {
      attacked: batch,
      fooled: count(outcome.fooled),
      fooledByMember: outcome.fooledByMember,
      memberMs: [ceEnd - start, targetedEnd - ceEnd, end - targetedEnd],
    };
  };
  return {
    warmup: () => {
      tf.tidy(() => {
        tf.sum(model.logits(x)).dataSync();
        tf.sum(model.lossAndInputGradient(x, labels, 'cross-entropy').gradient).dataSync();
      });
    },
    run,
    dispose: () => {
      tf.dispose([x, labels, ...Object.values(weights.params), ...Object.values(weights.state)]);
    },
  };
}
