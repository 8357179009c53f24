/** What every result records so that its numbers can be reproduced exactly. */
import { TOOL_VERSION } from '../package-root.ts';
import type { Provenance } from './schema-parts.ts';

export type { Provenance };

/** Provenance now: the tool's version and the time, with the given fields. */
export function provenance(fields: Omit<Provenance, 'tool' | 'toolVersion' | 'createdAt'>): Provenance {
  return { tool: 'weightscape', toolVersion: TOOL_VERSION, createdAt: new Date().toISOString(), ...fields };
}

/**
 * Provenance of a computation on one checkpoint and data set; `started` is performance.now() at
 * its start (null: nothing timed yet).
 */
export function checkpointProvenance(
  backend: Provenance['backend'],
  seed: number,
  started: number | null,
  checkpoint: { path: string; sha256: string; format: string },
  data: { spec: string; count: number },
): Provenance {
  const { path, sha256, format } = checkpoint;
  const wallSeconds = started === null ? 0 : (performance.now() - started) / 1000;
  return provenance({ backend, seed, wallSeconds, checkpoint: { path, sha256, format }, data });
}
