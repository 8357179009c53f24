/** Metrics named by dotted paths into result files (`weightscape check` baselines, `weightscape correlate`). */

/** A result's parsed JSON, with the path it was read from (for messages and to match names). */
export interface NamedResult {
  path: string;
  json: unknown;
}

/** The value at a key path (array indices allowed, `last` for an array's last element), or undefined. */
export function valueAt(json: unknown, keys: readonly string[]): unknown {
  let node: unknown = json;
  for (const key of keys) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node)
      ? node[key === 'last' ? node.length - 1 : Number(key)]
      : (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The number at a dotted path (array indices allowed: `epochs.29.gap.accuracy`), or undefined. */
export function metricAt(json: unknown, path: string): number | undefined {
  const node = valueAt(json, path.split('.'));
  return typeof node === 'number' && Number.isFinite(node) ? node : undefined;
}
