/** What every result records so that its numbers can be reproduced exactly. */
import { createRequire } from 'node:module';
import type { Provenance } from './schema-parts.ts';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export type { Provenance };

/** Provenance now: the tool's version and the time, with the given fields. */
export function provenance(fields: Omit<Provenance, 'tool' | 'toolVersion' | 'createdAt'>): Provenance {
  return { tool: 'weightscape', toolVersion: version, createdAt: new Date().toISOString(), ...fields };
}
