/** Metrics named by dotted paths into result files (`weightscape check` baselines, `weightscape correlate`). */

/** A result's parsed JSON, with the path it was read from (for messages and to match names). */
export interface NamedResult {
  path: string;
  json: unknown;
}

/** The number at a dotted path (array indices allowed: `epochs.29.gap.accuracy`), or undefined. */
export function metricAt(json: unknown, path: string): number | undefined {
  let node: unknown = json;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node)
      ? node[key === 'last' ? node.length - 1 : Number(key)]
      : (node as Record<string, unknown>)[key];
  }
  return typeof node === 'number' && Number.isFinite(node) ? node : undefined;
}
