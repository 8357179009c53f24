/**
 * The settings that decide a result's numbers, per kind, so that correlate can warn when the
 * results it pairs across checkpoints were made differently (a different attack, grid, subset,
 * direction kind or data would correlate the experiment, not the checkpoints).
 */
import { EVAL_SCHEMA } from '../results/eval-schema.ts';
import { FLATNESS_TAGS } from '../results/flatness-schema.ts';
import { LANDSCAPE_SCHEMA } from '../results/landscape-schema.ts';
import { valueAt, type NamedResult } from '../results/metric-path.ts';
import { TRAIN_LOG_SCHEMA } from '../results/train-log-schema.ts';

const get = (json: unknown, ...keys: string[]): unknown => valueAt(json, keys);

/** The fields to compare, by schema tag; undefined for JSON weightscape did not write. */
export function comparedSettings(json: unknown): Record<string, unknown> | undefined {
  const tag = get(json, 'schema');
  const s = (key: string) => get(json, 'settings', key);
  if (tag === EVAL_SCHEMA)
    return { attack: get(json, 'attack'), data: get(json, 'data', 'spec'), subset: get(json, 'data', 'subset') };
  if (tag === LANDSCAPE_SCHEMA) {
    return {
      attack: s('attack'),
      loss: s('loss'),
      'grid (alphas)': s('alphas'),
      'grid (betas)': s('betas'),
      'direction kind': s('directions'),
      data: s('data'),
      split: s('split'),
      subset: s('subset'),
      bn: s('bn'),
      includeBn: s('includeBn'),
      fixedExamples: s('fixedExamples'),
    };
  }
  if ((FLATNESS_TAGS as readonly unknown[]).includes(tag)) {
    return {
      attack: s('attack'),
      rho: s('rho'),
      rhoAdversarial: s('rhoAdversarial'),
      directions: s('directions'),
      data: s('data'),
      split: s('split'),
      subset: s('subset'),
      hessianBatches: s('hessianBatches'),
    };
  }
  if (tag === TRAIN_LOG_SCHEMA)
    return {
      attack: get(json, 'config', 'evalAttack'),
      data: get(json, 'config', 'data'),
      subset: get(json, 'config', 'evalSubset'),
      epochs: get(json, 'config', 'epochs'),
    };
  return undefined;
}

/** One note per setting that differs among the files a measure was read from. */
export function settingsNotes(axis: string, metric: string, files: NamedResult[]): string[] {
  const notes: string[] = [];
  const byKind = new Map<unknown, NamedResult[]>();
  for (const f of files) byKind.set(get(f.json, 'schema'), [...(byKind.get(get(f.json, 'schema')) ?? []), f]);
  if (byKind.size > 1)
    notes.push(
      `${axis} (${metric}) is read from results of different kinds (${[...byKind.keys()].map(String).join(', ')})`,
    );
  for (const group of byKind.values()) {
    const settings = group.map((f) => comparedSettings(f.json));
    if (settings.some((s) => s === undefined)) continue;
    for (const field of Object.keys(settings[0]!)) {
      const values = [...new Set(settings.map((s) => JSON.stringify(s![field] ?? null)))];
      if (values.length > 1)
        notes.push(
          `${axis} (${metric}) comes from results made with different ${field}: ${values.join(' vs ')}; ` +
            'the correlation may reflect the settings, not the checkpoints',
        );
    }
  }
  return notes;
}
