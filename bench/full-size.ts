/**
 * The full-size part of the benchmark: full-width PreActResNet-18 (batch 128) and WideResNet-34-10
 * (batch 32), the workloads users run on them, each in its own process beside the same in
 * PyTorch at the same thread count, with both sides' time and peak resident memory.
 *
 * PyTorch runs twice per workload, before and after weightscape's: once with the allocator
 * settings that give its steady, fast times (bench/torch-reference.ts) and once with glibc's
 * defaults, which keep less memory resident. Its bar is the faster time and the smaller peak of the
 * two, so that neither the time nor the memory ratio flatters us.
 *
 * `npm run bench:full-size` runs this part alone and stores it under `fullSize` in
 * bench/results.json (rows of the same model, workload, engine and threads replaced). Environment:
 * WEIGHTSCAPE_BENCH_THREADS (default 1,2), WEIGHTSCAPE_BENCH_MODELS (names, comma-separated),
 * WEIGHTSCAPE_BENCH_WORKLOADS, WEIGHTSCAPE_BENCH_RUNS (timed runs after a warm-up, default 1: a
 * workload takes seconds to minutes), WEIGHTSCAPE_BENCH_FULL_SIZE_WASM (workloads also timed on the
 * engine without onnxruntime, default pgd-10, on PreActResNet-18 only: WideResNet-34-10 would take
 * most of an hour there), WEIGHTSCAPE_BENCH_ATTACK_SMOKE=1 (the attack workloads at a smoke
 * run's scale, bench/attack-workloads.ts; rows then go to a file in the temporary directory).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/results/atomic-write.ts';
import type { FullSizeMeasurement } from './full-size-workload.ts';
import { loadAverageLine } from './timing.ts';
import { runTorchScript } from './torch-reference.ts';
import { ATTACK_WORKLOADS, FULL_SIZE_MODELS, FULL_SIZE_WORKLOADS, type FullSizeWorkload } from './workloads.ts';

export interface FullSizeRow extends FullSizeMeasurement {
  torchMs?: number;
  torchPeakRssMb?: number;
  /** PyTorch's time / weightscape's: above 1, weightscape is faster. */
  ratio?: number;
  /** weightscape's peak RSS / PyTorch's. */
  memoryRatio?: number;
  /** The issue's target for the speed ratio at 2 threads, where it sets one. */
  target?: number;
  /** Attack workloads: PyTorch's examples fooled, in all and per AutoAttack member, and its members' ms. */
  torchFooled?: number;
  torchFooledByMember?: number[];
  torchMemberMs?: number[];
  date: string;
}

/** Speed targets at 2 threads (issue 19); memory: at most 1.2× PyTorch's peak everywhere. */
export const SPEED_TARGETS: Partial<Record<FullSizeWorkload, number>> = {
  'pgd-10': 1.0,
  'landscape point': 1.0,
  'awp step': 0.8,
  'trades+awp step': 0.8,
  'mart step': 0.8,
  'apgd-ce': 1.0,
  autoattack: 1.0,
  square: 1.0,
};
const MEMORY_TARGET = 1.2;

export const FULL_SIZE_NOTES = [
  'fullSize: each workload in its own process (peak RSS is its own); batch 128 for preact-resnet18 (width 64), ' +
    '32 for wide-resnet-34-10; ms: median of the timed runs after a warm-up run (samples: each run)',
  'fullSize landscape point: a 3-point adversarial sweep (PGD-10 regenerated at every point, BatchNorm eval) through ' +
    "`weightscape sample`'s code, ms the median of the points after the first (samples: every point, the first with " +
    "the sweep's set-up; sweepMs: the whole sweep); clean grid point: the same for a 3×3 clean 2D sweep; PyTorch: " +
    'one point (θ + αd, PGD-10, the loss / θ + αd + βe, the loss) after a warm-up point',
  "fullSize torch: the faster time and the smaller peak RSS of two PyTorch runs, before weightscape's with the " +
    "allocator settings that keep its times steady, after with glibc's defaults",
  'fullSize apgd-ce / autoattack (preact-resnet18 only): APGD-CE (L∞ 8/255, 100 iterations, 1 restart) and the ' +
    'standard AutoAttack (APGD-CE, APGD-T with 9 targets, Square with 5000 queries, each on the examples still ' +
    "robust; no FAB-T) through apgdAttack / autoAttack, labels the model's own clean predictions so all 128 " +
    'examples are attacked; warm-up: one forward and one input gradient, then the whole attack (sessions for the ' +
    'subsets included). fooled / torchFooled: examples each side fooled (by member: fooledByMember, memberMs); ' +
    'PyTorch: the fixtures/make_apgd_fixtures.py reference and bench/torch_square.py',
  'fullSize square (preact-resnet18 only): Square L∞ at 1/255 with 300 queries on all 128 examples: on random ' +
    'weights AutoAttack at 8/255 leaves Square nothing to attack, and at 1/255 every example takes every query ' +
    '(the work per query does not depend on the radius)',
  `fullSize target: the speed ratio the issue asks for at 2 threads (memoryRatio: at most ${MEMORY_TARGET} everywhere)`,
];

const NODE_SCRIPT = fileURLToPath(new URL('./full-size-workload.ts', import.meta.url));

function measureWeightscape(
  model: string,
  workload: FullSizeWorkload,
  threads: number,
  engine: 'onnxruntime' | 'wasm',
  runs: number,
): FullSizeMeasurement {
  const args = ['--import', 'tsx', NODE_SCRIPT, model, workload, String(threads), engine, String(runs)];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: timeoutMs(workload) });
  if (child.status !== 0)
    throw new Error(`full-size-workload.ts ${model} ${workload} failed: ${child.stderr.trim().split('\n').pop()}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as FullSizeMeasurement;
}

/** An hour per child; the standard AutoAttack at 1 thread could need more if little falls to APGD-CE. */
const timeoutMs = (workload: FullSizeWorkload) => (workload === 'autoattack' ? 4 : 1) * 3_600_000;
const isAttack = (workload: FullSizeWorkload) => (ATTACK_WORKLOADS as readonly string[]).includes(workload);

interface TorchFigures {
  ms: number;
  peakRssMb: number;
  fooled?: number;
  fooledByMember?: number[];
  memberMs?: number[];
}

function measureTorch(
  model: string,
  workload: FullSizeWorkload,
  threads: number,
  runs: number,
  mallocTuned: boolean,
): TorchFigures | undefined {
  const args = ['--threads', String(threads), '--runs', String(runs), '--full-size', model, '--workload', workload];
  return runTorchScript('torch_workloads.py', args, { mallocTuned, timeoutMs: timeoutMs(workload) }) as
    TorchFigures | undefined;
}

export interface FullSizeSelection {
  threadCounts: number[];
  models?: string[];
  workloads?: string[];
  runs: number;
  wasmWorkloads: string[];
}

export function fullSizeSelectionFromEnv(env: NodeJS.ProcessEnv): FullSizeSelection {
  const list = (text: string | undefined) => text?.split(',').map((s) => s.trim());
  const selection: FullSizeSelection = {
    threadCounts: (env.WEIGHTSCAPE_BENCH_THREADS ?? '1,2').split(',').map(Number),
    models: list(env.WEIGHTSCAPE_BENCH_MODELS),
    workloads: list(env.WEIGHTSCAPE_BENCH_WORKLOADS),
    runs: Number(env.WEIGHTSCAPE_BENCH_RUNS ?? 1),
    wasmWorkloads: list(env.WEIGHTSCAPE_BENCH_FULL_SIZE_WASM) ?? ['pgd-10'],
  };
  for (const w of selection.workloads ?? [])
    if (!(FULL_SIZE_WORKLOADS as readonly string[]).includes(w))
      throw new Error(
        `WEIGHTSCAPE_BENCH_WORKLOADS: unknown workload '${w}' (known: ${FULL_SIZE_WORKLOADS.join(', ')})`,
      );
  const models = FULL_SIZE_MODELS.map((m) => m.name);
  for (const m of selection.models ?? [])
    if (!models.includes(m))
      throw new Error(`WEIGHTSCAPE_BENCH_MODELS: unknown model '${m}' (known: ${models.join(', ')})`);
  return selection;
}

/** Measures the selected full-size rows; progress on stderr. */
export function runFullSize(selection: FullSizeSelection): FullSizeRow[] {
  const rows: FullSizeRow[] = [];
  const workloads = FULL_SIZE_WORKLOADS.filter((w) => selection.workloads?.includes(w) ?? true);
  for (const threads of selection.threadCounts)
    for (const { name } of FULL_SIZE_MODELS.filter((m) => selection.models?.includes(m.name) ?? true))
      for (const workload of workloads) {
        if (isAttack(workload) && name !== FULL_SIZE_MODELS[0]!.name) continue;
        const torchBefore = measureTorch(name, workload, threads, selection.runs, true);
        const engines: Array<'onnxruntime' | 'wasm'> = ['onnxruntime'];
        if (selection.wasmWorkloads.includes(workload) && name === FULL_SIZE_MODELS[0]!.name) engines.push('wasm');
        const measured = engines.map((engine) => measureWeightscape(name, workload, threads, engine, selection.runs));
        const torchAfter =
          torchBefore === undefined ? undefined : measureTorch(name, workload, threads, selection.runs, false);
        for (const m of measured) {
          const row: FullSizeRow = { ...m, date: new Date().toISOString() };
          if (torchBefore !== undefined && torchAfter !== undefined) {
            row.torchMs = Math.min(torchBefore.ms, torchAfter.ms);
            row.torchPeakRssMb = Math.min(torchBefore.peakRssMb, torchAfter.peakRssMb);
            row.ratio = row.torchMs / row.ms;
            row.memoryRatio = row.peakRssMb / row.torchPeakRssMb;
            if (torchBefore.fooled !== undefined) row.torchFooled = torchBefore.fooled;
            if (torchBefore.fooledByMember !== undefined) row.torchFooledByMember = torchBefore.fooledByMember;
            const memberMs = [torchBefore, torchAfter].find((t) => t.ms === row.torchMs)?.memberMs;
            if (memberMs !== undefined) row.torchMemberMs = memberMs;
          }
          if (threads === 2 && SPEED_TARGETS[workload] !== undefined) row.target = SPEED_TARGETS[workload];
          process.stderr.write(`  ${fullSizeLine(row)}\n`);
          if (isAttack(workload)) process.stderr.write(`${attackLines(row)}\n`);
          rows.push(row);
        }
      }
  return rows;
}

export const FULL_SIZE_HEADER =
  'model                        batch  workload                engine        threads        ms   torch ms  ratio (target)  peak MB  torch MB  memory';

export function fullSizeLine(r: FullSizeRow): string {
  const target =
    r.target === undefined
      ? ''
      : ` (${r.target.toFixed(1)}${r.ratio !== undefined && r.ratio >= r.target ? ' met' : ''})`;
  return (
    `${r.model.padEnd(29)}${String(r.batch).padStart(5)}  ${r.workload.padEnd(24)}${r.engine.padEnd(14)}${String(r.threads).padStart(7)}` +
    `${r.ms.toFixed(0).padStart(10)}${(r.torchMs?.toFixed(0) ?? '-').padStart(11)}` +
    `${((r.ratio?.toFixed(2) ?? '-') + target).padStart(16)}${String(r.peakRssMb).padStart(9)}` +
    `${(r.torchPeakRssMb === undefined ? '-' : String(r.torchPeakRssMb)).padStart(10)}${(r.memoryRatio?.toFixed(2) ?? '-').padStart(8)}`
  );
}

/** An attack row's work on each side: examples fooled, and AutoAttack's per member with its time. */
export function attackLines(r: FullSizeRow): string {
  const members = ['apgd-ce', 'apgd-t', 'square'];
  const side = (label: string, fooled?: number, byMember?: number[], memberMs?: number[]) =>
    `    ${label}: fooled ${fooled ?? '-'} of ${r.attacked ?? r.batch}` +
    (byMember === undefined
      ? ''
      : ` (${members.map((m, i) => `${m} ${byMember[i] ?? '-'} in ${((memberMs?.[i] ?? NaN) / 1000).toFixed(1)} s`).join(', ')})`);
  return [
    side('weightscape', r.fooled, r.fooledByMember, r.memberMs),
    side('PyTorch    ', r.torchFooled, r.torchFooledByMember, r.torchMemberMs),
  ].join('\n');
}

const rowKey = (r: FullSizeRow) => JSON.stringify([r.model, r.workload, r.engine, r.threads]);

/** The previous full-size rows with this run's in place of the same keys. */
export function mergeFullSize(previous: FullSizeRow[] | undefined, rows: FullSizeRow[]): FullSizeRow[] {
  const replaced = new Set(rows.map(rowKey));
  return [...(previous ?? []).filter((r) => !replaced.has(rowKey(r))), ...rows];
}

/** Stores full-size rows (and their notes) in bench/results.json, keeping everything else there. */
export function storeFullSize(
  rows: FullSizeRow[],
  out = fileURLToPath(new URL('./results.json', import.meta.url)),
): void {
  const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  const notes = [...new Set([...((previous.notes as string[] | undefined) ?? []), ...FULL_SIZE_NOTES])];
  const written = {
    ...previous,
    notes,
    fullSize: mergeFullSize(previous.fullSize as FullSizeRow[] | undefined, rows),
    fullSizeMachine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  };
  writeFileAtomic(out, `${JSON.stringify(written, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const loadBefore = os.loadavg();
  const rows = runFullSize(fullSizeSelectionFromEnv(process.env));
  // A smoke run's rows would replace real ones: they go to a scratch file.
  const smoke = process.env.WEIGHTSCAPE_BENCH_ATTACK_SMOKE === '1';
  const out = smoke ? path.join(os.tmpdir(), 'weightscape-bench-smoke.json') : undefined;
  storeFullSize(rows, out);
  if (out !== undefined) process.stderr.write(`smoke run: rows stored in ${out}\n`);
  process.stdout.write(
    `${[FULL_SIZE_HEADER, ...rows.map(fullSizeLine)].join('\n')}\n${loadAverageLine(loadBefore, os.loadavg())}\n`,
  );
}
