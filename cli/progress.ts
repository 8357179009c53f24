/**
 * Progress on stderr: a counter rewritten in place on a terminal; in a job log (stderr not a
 * terminal) one plain line per step with the step's time, the elapsed time and an ETA.
 */

export interface ProgressOptions {
  /** What is counted ("points", "examples"), printed after the counts in job logs. */
  unit?: string;
  /** Steps done before this process (a resumed sweep): they do not count towards the rate. */
  alreadyDone?: number;
  /** Defaults: process.stderr's. */
  isTTY?: boolean;
  write?: (text: string) => void;
  /** Milliseconds (tests); default performance.now. */
  now?: () => number;
}

/** 4.2 s, 3 min 05 s, 2 h 03 min. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

/** A progress callback `(done, total)`: the counter on a terminal, plain timed lines elsewhere. */
export function progressLine(label: string, options: ProgressOptions = {}): (done: number, total: number) => void {
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  const isTTY = options.isTTY ?? process.stderr.isTTY === true;
  if (isTTY) return (done, total) => write(`\r${label} ${done}/${total}${done === total ? '\n' : ''}`);
  const now = options.now ?? (() => performance.now());
  const started = now();
  const base = options.alreadyDone ?? 0;
  let last = started;
  const unit = options.unit === undefined ? '' : ` ${options.unit}`;
  return (done, total) => {
    const t = now();
    const elapsed = (t - started) / 1000;
    const step = (t - last) / 1000;
    last = t;
    const rate = elapsed / Math.max(done - base, 1e-9);
    const eta = done >= total ? 'done' : `ETA ${formatDuration(rate * (total - done))}`;
    write(
      `${label}: ${done}/${total}${unit}, this step ${formatDuration(step)}, elapsed ${formatDuration(elapsed)}, ${eta}\n`,
    );
  };
}
