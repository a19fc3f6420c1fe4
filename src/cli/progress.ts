// Progress of a long operation on a terminal: one line, redrawn in place, for steps that run
// longer than a second; on anything else (a pipe, a file, CI) nothing while it runs and one
// line at the end. Knows nothing of the command it draws for (analyze.ts gives it the steps).

/** A stream as process.stderr is one: isTTY and columns when it is a terminal. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  stream: ProgressStream;
  /** Prefix of every line, e.g. `heapwatch summary`. */
  label: string;
  /** Draw nothing at all, not even the final line. */
  quiet?: boolean;
  /** Draw live only after this long (ms): a quick operation shows nothing. Default 1000. */
  delayMs?: number;
  /** Redraw at most this often (ms). Default 100. */
  intervalMs?: number;
  /** Monotonic milliseconds (a seam for tests). Default performance.now. */
  now?: () => number;
}

export type ProgressUnit = 'bytes' | 'steps';

export interface StepRecord {
  name: string;
  ms: number;
  done?: number;
  total?: number;
  unit?: ProgressUnit;
}

export interface Progress {
  /** The step now running and how far it is (`done` of `total` in `unit`). */
  update(step: string, done?: number, total?: number, unit?: ProgressUnit): void;
  /** Ends the operation: clears the live line, then writes `line` (if given and not quiet); a
   * function is called once the last step's time is known. */
  finish(line?: string | ((steps: readonly StepRecord[]) => string)): void;
  /** Ends the operation on a failure: clears the live line and writes nothing. */
  fail(): void;
  /** Each step's name and duration, in order (the current one still running). */
  readonly steps: readonly StepRecord[];
}

const MiB = 1024 * 1024;

/** `45.2 MiB` (bytes shown in MiB, with one decimal, or KiB below one MiB). */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  if (Math.abs(bytes) >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** `0.42 s` or `1:05`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "parse 0.41 s, dominators 0.30 s, report 0.08 s". */
export function describeSteps(steps: readonly StepRecord[]): string {
  return steps.map((s) => `${s.name} ${formatDuration(s.ms)}`).join(', ');
}

export function createProgress(options: ProgressOptions): Progress {
  const { stream, label, quiet = false, delayMs = 1000, intervalMs = 100 } = options;
  const now = options.now ?? (() => performance.now());
  const live = !quiet && stream.isTTY === true;
  const started = now();
  const steps: StepRecord[] = [];
  let stepStarted = started;
  let drawnAt = -Infinity;
  let drawn = false;
  let ended = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const current = () => steps[steps.length - 1];

  const text = (): string => {
    const step = current();
    if (step === undefined) return label;
    let detail = '';
    if (step.total !== undefined && step.total > 0 && step.done !== undefined) {
      const share = Math.min(100, Math.floor((step.done / step.total) * 100));
      detail =
        step.unit === 'bytes'
          ? `  ${share}%  ${formatBytes(step.done)} of ${formatBytes(step.total)}`
          : `  ${step.done}/${step.total}`;
    }
    return `${label}: ${step.name}${detail}  ${formatDuration(now() - started)}`;
  };

  const draw = (force: boolean) => {
    if (!live || ended) return;
    const t = now();
    if (t - started < delayMs || (!force && t - drawnAt < intervalMs)) return;
    drawnAt = t;
    drawn = true;
    // A terminal of unknown width (0: script(1), some CI terminals) is taken as 80 columns.
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(`\r${text().slice(0, width)}\x1b[K`);
  };

  const end = () => {
    ended = true;
    if (timer !== undefined) clearInterval(timer);
    const step = current();
    if (step !== undefined) step.ms = now() - stepStarted;
    if (drawn) stream.write('\r\x1b[K');
  };

  return {
    update(name, done, total, unit) {
      if (ended) return;
      const t = now();
      let step = current();
      const changed = step === undefined || step.name !== name;
      if (changed) {
        if (step !== undefined) step.ms = t - stepStarted;
        stepStarted = t;
        step = { name, ms: 0 };
        steps.push(step);
      }
      step!.done = done;
      step!.total = total;
      step!.unit = unit;
      step!.ms = t - stepStarted;
      // Redraw while a step runs without news, so that a long step shows and the clock moves;
      // the timer never keeps the process alive.
      if (live && timer === undefined) {
        timer = setInterval(() => draw(true), 250);
        timer.unref?.();
      }
      draw(changed);
    },
    finish(line) {
      if (ended) return;
      end();
      if (quiet || line === undefined) return;
      stream.write(`${typeof line === 'function' ? line(steps) : line}\n`);
    },
    fail() {
      if (!ended) end();
    },
    steps,
  };
}
