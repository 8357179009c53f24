/** What every result records so that its numbers can be reproduced exactly. */
import { TOOL_VERSION } from '../package-root.ts';
import type { Provenance } from './schema-parts.ts';

export type { Provenance };

/** Provenance now: the tool's version and the time, with the given fields. */
export function provenance(fields: Omit<Provenance, 'tool' | 'toolVersion' | 'createdAt'>): Provenance {
  return { tool: 'weightscape', toolVersion: TOOL_VERSION, createdAt: new Date().toISOString(), ...fields };
}
