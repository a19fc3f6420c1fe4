// memwatch's leak heuristic, as pure functions over full GCs, and the payload types of 'stats' and
// 'leak'. The statistics' arithmetic is in C++ (native/gc_monitor.cc, FoldStats).
import { formatSize } from './format.js';
import type { LeakSettings } from './settings.js';

/** V8's heap statistics at one moment (names as in `v8.getHeapStatistics()`), in bytes. */
export interface HeapStatistics {
  used_heap_size: number;
  total_heap_size: number;
  heap_size_limit: number;
  external_memory: number;
  total_physical_size: number;
  malloced_memory: number;
}

/**
 * The `'stats'` payload: memwatch's eight keys first, in memwatch's order, then heapwatch's.
 * All sizes in bytes, all numbers doubles (exact to 2^53).
 */
export interface StatsInformation {
  /** Full (mark-sweep-compact) GCs seen so far. */
  num_full_gc: number;
  /** All other GCs seen so far: scavenges, minor mark-sweeps, incremental marking, weak callbacks. */
  num_inc_gc: number;
  /** Equals `num_full_gc`, as in memwatch. */
  heap_compactions: number;
  /** Percent, one decimal: how far the recent average is above (or below) the long-run one. */
  usage_trend: number;
  /** Recent moving average of the heap after full GCs. */
  estimated_base: number;
  /** V8's `used_heap_size` right after this full GC. */
  current_base: number;
  /** Smallest `current_base` since the 3rd full GC; 0 before. */
  min: number;
  /** Largest `current_base` since the 3rd full GC; 0 before. */
  max: number;
  /** This full GC's pause, in ms. */
  pause_ms: number;
  /** V8's `total_heap_size` after this GC: the heap's reserved size. */
  total_heap_size: number;
  /** V8's `heap_size_limit`: the size at which the process runs out of heap. */
  heap_size_limit: number;
  /** V8's `external_memory`: memory outside the heap held by heap objects (Buffers, ...). */
  external_memory: number;
}

/** The `'leak'` payload. */
export interface LeakInformation {
  /** Heap after the last GC of the run minus the heap after its first growing GC, in bytes. */
  growth: number;
  /** `heap growth over 5 consecutive GCs (20s) - 11.67 mb/hr` */
  reason: string;
  /** When the first growing GC of the run started. */
  start: Date;
  /** When the last GC of the run started. */
  end: Date;
}

export interface LeakState {
  /** Heap after the previous full GC; -1 before the first. */
  previous: number;
  /** Growing GCs in the current run. */
  count: number;
  startBase: number;
  startTime: number;
}

export const initialLeak: Readonly<LeakState> = Object.freeze({
  previous: -1,
  count: 0,
  startBase: 0,
  startTime: 0,
});

/**
 * The least a full GC must add to the previous one's heap to count as growing: strictly more
 * with memwatch's rule, and at least minGrowth / consecutiveGcs when a minimum growth is set, so
 * that noise of a few kilobytes on a level heap does not keep a run alive.
 */
export function minStep(settings: LeakSettings): number {
  return settings.minGrowth / settings.consecutiveGcs;
}

/**
 * One full GC through the leak rule. A GC grows when its heap is larger than the previous full
 * GC's by more than minStep() (the first GC seen has nothing to grow from). A GC that does not
 * grow ends the run; a leak ends it too, and the next growing GC starts a new one.
 */
export function foldLeak(
  settings: LeakSettings,
  state: LeakState,
  gc: { used: number; time: number },
): { state: LeakState; leak?: LeakInformation } {
  if (state.previous < 0 || gc.used <= state.previous + minStep(settings)) {
    return { state: { ...initialLeak, previous: gc.used } };
  }
  const count = state.count + 1;
  const startBase = count === 1 ? gc.used : state.startBase;
  const startTime = count === 1 ? gc.time : state.startTime;
  const growth = gc.used - startBase;
  if (
    count >= settings.consecutiveGcs &&
    growth >= settings.minGrowth &&
    gc.time - startTime >= settings.minDuration
  ) {
    return {
      state: { ...initialLeak, previous: gc.used },
      leak: {
        growth,
        reason: leakReason(count, growth, gc.time - startTime),
        start: new Date(startTime),
        end: new Date(gc.time),
      },
    };
  }
  return { state: { previous: gc.used, count, startBase, startTime } };
}

/**
 * `heap growth over 5 consecutive GCs (20s) - 11.67 mb/hr`. A run shorter than a second has no
 * meaningful hourly rate: it reads `... (<1s) - 3.2 mb total` instead.
 */
export function leakReason(count: number, growth: number, elapsedMs: number): string {
  const head = `heap growth over ${count} consecutive GCs`;
  if (elapsedMs < 1000) return `${head} (<1s) - ${formatSize(growth)} total`;
  return `${head} (${formatDuration(elapsedMs / 1000)}) - ${formatSize(growth / (elapsedMs / 3_600_000))}/hr`;
}

/** Whole seconds as `<h>h <m>m <s>s`, larger parts only when reached: 3725 -> `1h 2m 5s`, 20 -> `20s`. */
export function formatDuration(seconds: number): string {
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/**
 * How long to let V8 go without a full GC before probing. Probing costs a marking pass over the
 * heap, so the interval grows with the heap (10 MiB per second of interval) and with the last full
 * GC's pause (100 times it), never below a second: under 1% of one core for marking at >= 1 GB/s.
 */
export function probeIntervalMs(heapUsed: number, lastPauseMs: number): number {
  return Math.max(1000, 100 * lastPauseMs, heapUsed / ((10 * 1024 * 1024) / 1000));
}

/** Whether the heap has grown enough since the last full GC for a probe to be worth it. */
export function probeDue(
  settings: LeakSettings,
  now: { time: number; used: number },
  last: { time: number; used: number; pauseMs: number },
): boolean {
  if (!settings.probe) return false;
  if (now.time - last.time < probeIntervalMs(now.used, last.pauseMs)) return false;
  const step = Math.max(64 * 1024, minStep(settings));
  return now.used - last.used >= step;
}
