// 'leak': when a run of full GCs keeps ending with a larger heap. The rule (memwatch's, with a
// minimum growth and duration), its settings, the probe that makes V8 run a full GC when the heap
// has grown without one, and the watch that runs both while 'leak' has a listener.
import type { EventEmitter } from 'node:events';
import { getHeapStatistics } from 'node:v8';
import { invalidArg } from './errors.js';
import { formatSize } from './format.js';
import { flag, isObject, MAX_DURATION_MS, type OptionRules, unknownKey } from './option-values.js';
import type { LeakInformation, LeakSettings } from './types.js';

/** heapwatch's default: memwatch's rule plus a minimum growth and duration, with probing. */
export const DEFAULT_LEAK: Readonly<LeakSettings> = Object.freeze({
  consecutiveGcs: 5,
  minGrowth: 1024 * 1024,
  minDuration: 5000,
  probe: true,
});

/** memwatch-next's rule exactly: `configure({ leak: 'memwatch' })`. */
export const MEMWATCH_LEAK: Readonly<LeakSettings> = Object.freeze({
  consecutiveGcs: 5,
  minGrowth: 0,
  minDuration: 0,
  probe: false,
});

/** Named rules: `'memwatch'` is memwatch-next's exactly, `'default'` heapwatch's. */
export const LEAK_PRESETS: Readonly<Record<string, Readonly<LeakSettings>>> = Object.freeze({
  default: DEFAULT_LEAK,
  memwatch: MEMWATCH_LEAK,
});

// ---------------------------------------------------------------- settings

type Check = (value: unknown, name: string) => unknown;

const number =
  (what: string, max: number): Check =>
  (value, name) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
      throw invalidArg(name, what, value);
    }
    return value;
  };

const LEAK_KEYS: Record<keyof LeakSettings, Check> = {
  consecutiveGcs: (value, name) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
      throw invalidArg(name, 'a whole number of GCs from 1 to 1000', value);
    }
    return value;
  },
  minGrowth: number('a number of bytes from 0 to 2^53', Number.MAX_SAFE_INTEGER),
  minDuration: number('a number of milliseconds from 0 to a year', MAX_DURATION_MS),
  probe: (value, name) => {
    if (typeof value !== 'boolean') throw invalidArg(name, 'a boolean', value);
    return value;
  },
};

function checkLeak(value: unknown, name: string): Partial<LeakSettings> {
  if (typeof value === 'string' && Object.hasOwn(LEAK_PRESETS, value)) {
    return { ...(LEAK_PRESETS[value] as LeakSettings) };
  }
  if (!isObject(value)) {
    throw invalidArg(
      name,
      `an object of leak settings or one of ${Object.keys(LEAK_PRESETS).join(', ')}`,
      value,
    );
  }
  const out: Partial<LeakSettings> = {};
  for (const [key, item] of Object.entries(value)) {
    const check = Object.hasOwn(LEAK_KEYS, key) ? LEAK_KEYS[key as keyof LeakSettings] : undefined;
    if (check === undefined) throw unknownKey(key, name, Object.keys(LEAK_KEYS));
    if (item !== undefined) (out as Record<string, unknown>)[key] = check(item, `${name}.${key}`);
  }
  return out;
}

const envLeakKey =
  (key: 'consecutiveGcs' | 'minGrowth' | 'minDuration', item: string): OptionRules['env'][string] =>
  (value, into) => {
    if (value === undefined || !/^\d+$/.test(value)) throw new Error('expected a whole number');
    into.leak = { ...into.leak, [key]: LEAK_KEYS[key](Number(value), item) };
  };

export const leakRules: OptionRules = {
  env: {
    // leakgcs=5, leakmingrowth=1048576 (bytes), leakminduration=5000 (ms), leakprobe, noleakprobe.
    // (leak=memwatch|default is read with `leak`, in leak-snapshot.ts.)
    leakgcs: envLeakKey('consecutiveGcs', 'leakgcs'),
    leakmingrowth: envLeakKey('minGrowth', 'leakmingrowth'),
    leakminduration: envLeakKey('minDuration', 'leakminduration'),
    leakprobe: flag((into) => {
      into.leak = { ...into.leak, probe: true };
    }),
    noleakprobe: flag((into) => {
      into.leak = { ...into.leak, probe: false };
    }),
  },
  configure: { leak: (value, name) => ({ leak: checkLeak(value, name) }) },
};

// ---------------------------------------------------------------- the rule

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
 * Growth below this between two full GCs is a level heap, for every rule. A program that warms up
 * (V8 compiling and tiering up its functions) adds a few kilobytes per GC for its first seconds;
 * memwatch counted any growth, so a program calling gc() every 200 ms set it off while warming up.
 */
export const LEVEL_BYTES = 16 * 1024;

/**
 * The least a full GC must add to the previous one's heap to count as growing: more than
 * LEVEL_BYTES, and at least minGrowth / consecutiveGcs when a minimum growth is set, so that noise
 * on a level heap does not keep a run alive.
 */
export function minStep(settings: LeakSettings): number {
  return Math.max(LEVEL_BYTES, settings.minGrowth / settings.consecutiveGcs);
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

// ---------------------------------------------------------------- the probe

/**
 * How long to let V8 go without a full GC before probing. Probing costs a marking pass over the
 * heap, so the interval grows with the heap (10 MiB per second of interval) and with the CPU
 * time the last full GC took on the JS thread (100 times it), never below a second: under 1% of
 * one core for marking at >= 1 GB/s. CPU time, not wall time: on a loaded machine a GC's wall
 * time includes the time other processes ran.
 */
export function probeIntervalMs(heapUsed: number, lastCpuMs: number): number {
  return Math.max(1000, 100 * lastCpuMs, heapUsed / ((10 * 1024 * 1024) / 1000));
}

/** Whether the heap has grown enough since the last full GC for a probe to be worth it. */
export function probeDue(
  settings: LeakSettings,
  now: { time: number; used: number },
  last: { time: number; used: number; cpuMs: number },
): boolean {
  if (!settings.probe) return false;
  if (now.time - last.time < probeIntervalMs(now.used, last.cpuMs)) return false;
  return now.used - last.used >= Math.max(64 * 1024, minStep(settings));
}

const PROBE_CHECK_MS = 100;

/** The part of the binding the probe uses. */
export interface ProbeBinding {
  /** Starts incremental marking (a full GC in small steps) unless it already runs. */
  gcProbe(): void;
}

/** The rule and its probe while 'leak' has a listener; its state starts empty. */
export class LeakWatch {
  #state: LeakState = initialLeak;
  // The last full GC seen (when it ended), and when a probe was sent.
  #last = { time: Date.now(), used: getHeapStatistics().used_heap_size, cpuMs: 0 };
  #probeSentAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emitter: EventEmitter,
    private readonly binding: ProbeBinding,
    private readonly settings: () => LeakSettings,
  ) {
    this.settingsChanged();
  }

  /** One counted full GC: the heap after it, its start and end (ms since the epoch), its CPU time. */
  fullGc(used: number, startTime: number, endTime: number, cpuMs: number): void {
    this.#last = { time: endTime, used, cpuMs };
    this.#probeSentAt = 0;
    const l = foldLeak(this.settings(), this.#state, { used, time: startTime });
    this.#state = l.state;
    if (l.leak) this.emitter.emit('leak', l.leak);
  }

  /** Starts or stops the probe after a settings change. */
  settingsChanged(): void {
    const wantProbe = this.settings().probe;
    if (wantProbe && this.#timer === undefined) {
      this.#last = { ...this.#last, time: Date.now(), used: getHeapStatistics().used_heap_size };
      this.#timer = setInterval(() => this.#checkProbe(), PROBE_CHECK_MS).unref();
    } else if (!wantProbe && this.#timer !== undefined) {
      this.stop();
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #checkProbe(): void {
    const now = { time: Date.now(), used: getHeapStatistics().used_heap_size };
    // A probe normally ends in a full GC within milliseconds; give up waiting after 10 s.
    if (this.#probeSentAt !== 0 && now.time - this.#probeSentAt < 10_000) return;
    if (probeDue(this.settings(), now, this.#last)) {
      this.#probeSentAt = now.time;
      this.binding.gcProbe();
    }
  }
}
