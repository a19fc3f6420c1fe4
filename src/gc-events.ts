// 'stats', 'leak' and 'gc': GC hooks while someone listens, records folded into events.
import type { EventEmitter } from 'node:events';
import {
  type FullGc,
  foldLeak,
  foldStats,
  type HeapStatistics,
  initialLeak,
  initialStats,
  type LeakInformation,
  type LeakState,
  probeDue,
  type StatsInformation,
  type StatsState,
} from './gc-stats.js';
import type { GcNames } from './native.js';
import type { LeakSettings } from './settings.js';

/** What V8 called the collection. */
export type GcType =
  | 'scavenge'
  | 'minor-mark-sweep'
  | 'mark-sweep-compact'
  | 'incremental-marking'
  | 'weak-callbacks'
  | 'unknown';

/** V8's GC callback flags, by name. */
export type GcFlag =
  | 'construct-retained-object-infos'
  | 'forced'
  | 'synchronous-phantom-callback-processing'
  | 'collect-all-available-garbage'
  | 'collect-all-external-memory'
  | 'schedule-idle-garbage-collection'
  | 'last-resort';

/** The `'gc'` payload: one per GC, in order. */
export interface GcEvent {
  type: GcType;
  flags: GcFlag[];
  /** Wall clock at the start, ms since the Unix epoch (with a fraction): `new Date(startTime)`. */
  startTime: number;
  /** The pause, in ms. */
  durationMs: number;
  before: HeapStatistics;
  after: HeapStatistics;
  /** True when heapwatch's own heap snapshot caused this GC (such GCs are not counted in 'stats'). */
  ownSnapshot: boolean;
  /** GCs not reported because too many happened before JavaScript ran (0 unless > 4096 queued). */
  dropped: number;
}

/** The part of the binding this module uses. */
export interface GcBinding {
  /** Wants records of full GCs ('stats', 'leak') and/or every GC ('gc'); returns whether hooked. */
  gcSetInterest(full: boolean, every: boolean): boolean;
  gcNames(): GcNames;
  /** Starts incremental marking (a full GC in small steps) unless it already runs. */
  gcProbe(): void;
  /** V8's used_heap_size now (what node:v8's getHeapStatistics() reports). */
  heapUsed(): number;
}

// The record layout of native/gc_monitor.h (GcRecord): field offsets in the Float64Array.
const F = {
  kind: 0,
  flags: 1,
  own: 2,
  fullTotal: 3,
  incTotal: 4,
  startTime: 5,
  durationMs: 6,
  dropped: 7,
  before: 8,
  after: 14,
} as const;
const HEAP_KEYS = [
  'used_heap_size',
  'total_heap_size',
  'heap_size_limit',
  'external_memory',
  'total_physical_size',
  'malloced_memory',
] as const;
export const RECORD_STRIDE = F.after + HEAP_KEYS.length;

function heapAt(data: Float64Array, at: number): HeapStatistics {
  const out = {} as HeapStatistics;
  for (let k = 0; k < HEAP_KEYS.length; k++)
    out[HEAP_KEYS[k] as keyof HeapStatistics] = data[at + k] as number;
  return out;
}

/** Reads record `i` of a batch from the addon. */
export function decodeGcEvent(data: Float64Array, at: number, names: GcNames): GcEvent {
  const bits = data[at + F.flags] as number;
  const flags: GcFlag[] = [];
  for (let b = 0; b < names.flags.length; b++) if (bits & (1 << b)) flags.push(names.flags[b] as GcFlag);
  return {
    type: (names.types[data[at + F.kind] as number] ?? 'unknown') as GcType,
    flags,
    startTime: data[at + F.startTime] as number,
    durationMs: data[at + F.durationMs] as number,
    before: heapAt(data, at + F.before),
    after: heapAt(data, at + F.after),
    ownSnapshot: data[at + F.own] === 1,
    dropped: data[at + F.dropped] as number,
  };
}

const WATCHED = ['stats', 'leak', 'gc'] as const;
const PROBE_CHECK_MS = 250;

/**
 * Wires the GC events onto the emitter: hooks while 'stats', 'leak' or 'gc' has a listener,
 * probing while 'leak' has one (if the settings allow). Returns the sink for 'gc' batches.
 */
export function attachGcEvents(
  emitter: EventEmitter,
  binding: GcBinding,
  leakSettings: () => LeakSettings,
): { onRecords(data: Float64Array): void; settingsChanged(): void } {
  const names = binding.gcNames();
  if (names.stride !== RECORD_STRIDE) {
    throw new Error(
      `heapwatch: the addon's GC records have ${names.stride} fields, expected ${RECORD_STRIDE}`,
    );
  }
  let stats: StatsState = initialStats;
  let leak: LeakState = initialLeak;
  let full = false;
  let every = false;

  // Probing: the last full GC seen, and whether a probe is on its way.
  let last = { time: Date.now(), used: binding.heapUsed(), pauseMs: 0 };
  let probeSentAt = 0;
  let timer: NodeJS.Timeout | undefined;

  function checkProbe(): void {
    const now = { time: Date.now(), used: binding.heapUsed() };
    // A probe normally ends in a full GC within milliseconds; give up waiting after 10 s.
    if (probeSentAt !== 0 && now.time - probeSentAt < 10_000) return;
    if (probeDue(leakSettings(), now, last)) {
      probeSentAt = now.time;
      binding.gcProbe();
    }
  }

  function update(adding?: string | symbol): void {
    const count = (name: string) => emitter.listenerCount(name) + (adding === name ? 1 : 0);
    const wantFull = count('stats') + count('leak') > 0;
    const wantEvery = count('gc') > 0;
    if (wantFull !== full || wantEvery !== every) {
      binding.gcSetInterest(wantFull, wantEvery);
      full = wantFull;
      every = wantEvery;
    }
    const wantProbe = count('leak') > 0 && leakSettings().probe;
    if (wantProbe && timer === undefined) {
      last = { time: Date.now(), used: binding.heapUsed(), pauseMs: last.pauseMs };
      timer = setInterval(checkProbe, PROBE_CHECK_MS);
      timer.unref();
    } else if (!wantProbe && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  const onNew = (event: string | symbol) => {
    if ((WATCHED as readonly (string | symbol)[]).includes(event)) update(event);
  };
  const onRemove = (event: string | symbol) => {
    if ((WATCHED as readonly (string | symbol)[]).includes(event)) update();
  };
  function listen(): void {
    if (!emitter.listeners('newListener').includes(onNew)) emitter.on('newListener', onNew);
    if (!emitter.listeners('removeListener').includes(onRemove)) emitter.on('removeListener', onRemove);
  }
  listen();
  // removeAllListeners() with no argument would take the two listeners above along: put them back.
  const removeAll = emitter.removeAllListeners;
  Object.defineProperty(emitter, 'removeAllListeners', {
    value: function removeAllListeners(...args: [event?: string | symbol]) {
      removeAll.apply(emitter, args);
      listen();
      update();
      return emitter;
    },
    writable: true,
    configurable: true,
    enumerable: true,
  });

  function onRecords(data: Float64Array): void {
    for (let at = 0; at + RECORD_STRIDE <= data.length; at += RECORD_STRIDE) {
      if (emitter.listenerCount('gc') > 0) emitter.emit('gc', decodeGcEvent(data, at, names));
      const isFull = names.types[data[at + F.kind] as number] === 'mark-sweep-compact';
      if (!isFull || data[at + F.own] === 1) continue;
      const gc: FullGc = {
        fullTotal: data[at + F.fullTotal] as number,
        incTotal: data[at + F.incTotal] as number,
        startTime: data[at + F.startTime] as number,
        durationMs: data[at + F.durationMs] as number,
        after: heapAt(data, at + F.after),
      };
      last = { time: Date.now(), used: gc.after.used_heap_size, pauseMs: gc.durationMs };
      probeSentAt = 0;
      const l = foldLeak(leakSettings(), leak, { used: gc.after.used_heap_size, time: gc.startTime });
      leak = l.state;
      const s = foldStats(stats, gc);
      stats = s.state;
      if (l.leak) emitter.emit('leak', l.leak);
      emitter.emit('stats', s.stats);
    }
  }

  return { onRecords, settingsChanged: () => update() };
}

export type { HeapStatistics, LeakInformation, StatsInformation };
