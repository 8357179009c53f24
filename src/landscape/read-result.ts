/** Reads a landscape result file, validated against its schema (see src/results/read-result.ts). */
import { readResult } from '../results/read-result.ts';
import type { LandscapeResult } from './sample-landscape.ts';

export function readLandscape(path: string): LandscapeResult {
  return readResult(path, 'landscape');
}
