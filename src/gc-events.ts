// 'stats', 'leak' and 'gc': GC hooks while someone listens, records folded into events.
import type { EventEmitter } from 'node:events';
import type { HeapStatistics, LeakInformation, StatsInformation } from './gc-stats.js';
import type { LeakWatch } from './leak-watch.js';
import type { GcNames } from './native.js';

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
  /**
   * Wants records of full GCs ('stats', 'leak') and/or every GC ('gc'); returns whether hooked.
   * Throws unless the addon's records have `stride` doubles.
   */
  gcSetInterest(full: boolean, every: boolean, stride: number): boolean;
  gcNames(): GcNames;
}

// The record layout of native/gc_monitor.h (GcRecord): field offsets in the Float64Array. An enum
// whose members are only read: esbuild compiles them in as numbers, so no object stays on the heap.
enum F {
  kind = 0,
  flags = 1,
  own = 2,
  fullTotal = 3,
  incTotal = 4,
  startTime = 5,
  durationMs = 6,
  dropped = 7,
  before = 8,
  after = 14,
  // StatsNumbers: memwatch's statistics, computed by the addon as it hands the records over.
  estimatedBase = 20,
  usageTrend = 21,
  min = 22,
  max = 23,
}
/** GcKind::kMarkSweepCompact: the codes are heapwatch's own, stable across V8 versions. */
const FULL_GC = 2;
const HEAP_KEYS = [
  'used_heap_size',
  'total_heap_size',
  'heap_size_limit',
  'external_memory',
  'total_physical_size',
  'malloced_memory',
] as const;
export const RECORD_STRIDE = F.max + 1;

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

/**
 * Wires the GC events onto the emitter: hooks while 'stats', 'leak' or 'gc' has a listener, and
 * the leak rule (src/leak-watch.ts, made with the first 'leak' listener) while 'leak' has one. Returns the sink for the
 * addon's record batches.
 */
export function attachGcEvents(
  emitter: EventEmitter,
  binding: GcBinding,
  createLeakWatch: () => LeakWatch,
): { onRecords(data: Float64Array): void; settingsChanged(): void } {
  let names: GcNames | undefined;
  let full = false;
  let every = false;
  let leakWatch: LeakWatch | undefined;
  // The last event of each kind stays referenced while its event is listened to. V8 keeps a
  // hidden class only while an object (or a literal's boilerplate) uses it: without one alive
  // across the full GC, the next event built every map of its shape again through the runtime,
  // about 360 k instructions more per 'stats' event (docs/architecture.md, item 14).
  const last: { stats?: StatsInformation; gc?: GcEvent } = {};

  function update(adding?: string | symbol): void {
    const count = (name: string) => emitter.listenerCount(name) + (adding === name ? 1 : 0);
    const wantFull = count('stats') + count('leak') > 0;
    const wantEvery = count('gc') > 0;
    if (wantFull !== full || wantEvery !== every) {
      binding.gcSetInterest(wantFull, wantEvery, RECORD_STRIDE);
      // Nothing of a listener's stays behind once its event is no longer listened to.
      if (!wantFull) last.stats = undefined;
      if (!wantEvery) last.gc = undefined;
      if (wantEvery) names ??= binding.gcNames();
      full = wantFull;
      every = wantEvery;
    }
    if (count('leak') > 0) {
      leakWatch ??= createLeakWatch();
      leakWatch.settingsChanged();
    } else if (leakWatch !== undefined) {
      leakWatch.stop();
      leakWatch = undefined;
    }
  }

  const onNew = (event: string | symbol) => {
    if ((WATCHED as readonly (string | symbol)[]).includes(event)) update(event);
  };
  const onRemove = (event: string | symbol) => {
    if ((WATCHED as readonly (string | symbol)[]).includes(event)) update();
  };
  emitter.on('newListener', onNew);
  emitter.on('removeListener', onRemove);
  // removeAllListeners() with no argument would take the two listeners above along: put them back.
  const removeAll = emitter.removeAllListeners;
  Object.defineProperty(emitter, 'removeAllListeners', {
    value: function removeAllListeners(...args: [event?: string | symbol]) {
      removeAll.apply(emitter, args);
      if (!emitter.listeners('newListener').includes(onNew)) emitter.on('newListener', onNew);
      if (!emitter.listeners('removeListener').includes(onRemove)) emitter.on('removeListener', onRemove);
      update();
      return emitter;
    },
    writable: true,
    configurable: true,
    enumerable: true,
  });

  function onRecords(data: Float64Array): void {
    for (let at = 0; at + RECORD_STRIDE <= data.length; at += RECORD_STRIDE) {
      if (names !== undefined && emitter.listenerCount('gc') > 0) {
        last.gc = decodeGcEvent(data, at, names);
        emitter.emit('gc', last.gc);
      }
      if (data[at + F.kind] !== FULL_GC || data[at + F.own] === 1) continue;
      const used = data[at + F.after] as number;
      leakWatch?.fullGc(used, data[at + F.startTime] as number, data[at + F.durationMs] as number);
      const stats: StatsInformation = {
        num_full_gc: data[at + F.fullTotal] as number,
        num_inc_gc: data[at + F.incTotal] as number,
        heap_compactions: data[at + F.fullTotal] as number,
        usage_trend: data[at + F.usageTrend] as number,
        estimated_base: data[at + F.estimatedBase] as number,
        current_base: used,
        min: data[at + F.min] as number,
        max: data[at + F.max] as number,
        pause_ms: data[at + F.durationMs] as number,
        total_heap_size: data[at + F.after + 1] as number,
        heap_size_limit: data[at + F.after + 2] as number,
        external_memory: data[at + F.after + 3] as number,
      };
      last.stats = stats;
      emitter.emit('stats', stats);
    }
  }

  return { onRecords, settingsChanged: () => update() };
}

export type { HeapStatistics, LeakInformation, StatsInformation };
