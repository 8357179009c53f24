/** Runs a PyTorch script of bench/ with Debian's /usr/bin/python3 when torch imports there. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';

/**
 * glibc hands PyTorch's large activation buffers back to the kernel after every op and faults
 * them in again on the next: on the development machine that made PyTorch's times vary 3×
 * between runs (convnet PGD-10, 2 threads: 437 to 1462 ms). Keeping freed memory in the process
 * gives PyTorch its steady, fast figures (~450 ms), so the comparison does not flatter us.
 */
const TORCH_MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(4 * 1024 * 1024 * 1024),
  MALLOC_TOP_PAD_: String(256 * 1024 * 1024),
};

export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

export interface TorchRunOptions {
  /** With TORCH_MALLOC_ENV (default), for steady times; without, for glibc's default (smaller) resident memory. */
  mallocTuned?: boolean;
  timeoutMs?: number;
}

/** Milliseconds per workload name, as the script prints them in JSON; undefined without torch. */
export function runTorchScript(
  script: string,
  args: string[],
  { mallocTuned = true, timeoutMs = 600_000 }: TorchRunOptions = {},
): Record<string, unknown> | undefined {
  if (!torchAvailable()) return undefined;
  const path = fileURLToPath(new URL(script, import.meta.url));
  const result = spawnSync(PYTHON, [path, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...(mallocTuned ? TORCH_MALLOC_ENV : {}) },
  });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr.trim().split('\n').pop()}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
