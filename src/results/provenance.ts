/** What every result records so that its numbers can be reproduced exactly. */
import { TOOL_VERSION } from '../package-root.ts';
import type { BackendInfo } from '../backend/select-backend.ts';

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
  return { tool: 'weightscape', toolVersion: TOOL_VERSION, createdAt: new Date().toISOString(), ...fields };
}
