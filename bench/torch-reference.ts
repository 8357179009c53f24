/** Runs a PyTorch script of bench/ with Debian's /usr/bin/python3 when torch imports there. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';

export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Milliseconds per workload name, as the script prints them in JSON; undefined without torch. */
export function runTorchScript(script: string, args: string[]): Record<string, number | string> | undefined {
  if (!torchAvailable()) return undefined;
  const path = fileURLToPath(new URL(script, import.meta.url));
  const result = spawnSync(PYTHON, [path, ...args], { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr.trim().split('\n').pop()}`);
  return JSON.parse(result.stdout) as Record<string, number | string>;
}
