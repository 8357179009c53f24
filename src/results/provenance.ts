/** What every result records so that its numbers can be reproduced exactly. */
import { createRequire } from 'node:module';
import type { BackendInfo } from '../backend/select-backend.ts';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export interface Provenance {
  tool: 'weightscape';
  toolVersion: string;
  createdAt: string;
  backend: BackendInfo;
  seed: number;
  wallSeconds: number;
  checkpoint?: { path: string; sha256: string; format: string };
  data?: { spec: string; count: number };
}

export function provenance(fields: Omit<Provenance, 'tool' | 'toolVersion' | 'createdAt'>): Provenance {
  return { tool: 'weightscape', toolVersion: version, createdAt: new Date().toISOString(), ...fields };
}
