// 'stats', 'leak' and 'gc': the addon's GC hooks while someone listens, its records turned into
// events. The hooks only record (native/gc_monitor.h); everything here runs later, on the JS
// thread, once per batch of records.
import type { EventEmitter } from 'node:events';
import type { Binding, GcLayout } from './binding.js';
import { LeakWatch } from './leak-rule.js';
import type { GcEvent, GcFlag, GcType, HeapStatistics, LeakSettings, StatsInformation } from './types.js';

const WATCHED: readonly (string | symbol)[] = ['stats', 'leak', 'gc'];
/** GcKind::kMarkSweepCompact: the codes are heapwatch's own, stable across V8 versions. */
const FULL_GC = 2;

/**
 * Wires the GC events onto the emitter: hooks while 'stats', 'leak' or 'gc' has a listener, and
 * the leak rule (leak-rule.ts) while 'leak' has one.
 */
export class GcEvents {
  readonly #f: GcLayout['fields'];
  /** Where each heap statistic sits within a record's `before` and `after`. */
  readonly #h: Record<string, number>;
  #full = false;
  #every = false;
  #leakWatch: LeakWatch | undefined;

  constructor(
    private readonly emitter: EventEmitter,
    private readonly binding: Binding,
    private readonly layout: GcLayout,
    private readonly leakSettings: () => LeakSettings,
  ) {
    this.#f = layout.fields;
    this.#h = Object.fromEntries(layout.heap.map((name, i) => [name, i]));
    const onNew = (event: string | symbol) => WATCHED.includes(event) && this.update(event);
    const onRemove = (event: string | symbol) => WATCHED.includes(event) && this.update();
    emitter.on('newListener', onNew);
    emitter.on('removeListener', onRemove);
    // removeAllListeners() with no argument would take the two listeners above along: put them back.
    const removeAll = emitter.removeAllListeners;
    Object.defineProperty(emitter, 'removeAllListeners', {
      value: (...args: [event?: string | symbol]) => {
        removeAll.apply(emitter, args);
        if (!emitter.listeners('newListener').includes(onNew)) emitter.on('newListener', onNew);
        if (!emitter.listeners('removeListener').includes(onRemove)) emitter.on('removeListener', onRemove);
        this.update();
        return emitter;
      },
      writable: true,
      configurable: true,
      enumerable: true,
    });
  }

  /** Re-reads who listens (`adding`: the event a listener is being added for). */
  update(adding?: string | symbol): void {
    const count = (name: string) => this.emitter.listenerCount(name) + (adding === name ? 1 : 0);
    const full = count('stats') + count('leak') > 0;
    const every = count('gc') > 0;
    if (full !== this.#full || every !== this.#every) {
      this.binding.gcSetInterest(full, every);
      this.#full = full;
      this.#every = every;
    }
    if (count('leak') > 0) {
      this.#leakWatch ??= new LeakWatch(this.emitter, this.binding, this.leakSettings);
      this.#leakWatch.settingsChanged();
    } else if (this.#leakWatch !== undefined) {
      this.#leakWatch.stop();
      this.#leakWatch = undefined;
    }
  }

  /** A batch of records from the addon. */
  onRecords(data: Float64Array): void {
    const f = this.#f;
    const h = this.#h;
    for (let at = 0; at + this.layout.stride <= data.length; at += this.layout.stride) {
      if (this.#every && this.emitter.listenerCount('gc') > 0)
        this.emitter.emit('gc', this.#decode(data, at));
      // Not counted: heapwatch's own snapshots (own 1), all but the last GC of a gc() call (2).
      if (data[at + f.kind] !== FULL_GC || data[at + f.own] !== 0) continue;
      const used = data[at + f.after + (h.used_heap_size as number)] as number;
      const start = data[at + f.startTime] as number;
      const pause = data[at + f.durationMs] as number;
      this.#leakWatch?.fullGc(used, start, start + pause, data[at + f.cpuMs] as number);
      const stats: StatsInformation = {
        num_full_gc: data[at + f.fullTotal] as number,
        num_inc_gc: data[at + f.incTotal] as number,
        heap_compactions: data[at + f.fullTotal] as number,
        usage_trend: data[at + f.usageTrend] as number,
        estimated_base: data[at + f.estimatedBase] as number,
        current_base: used,
        min: data[at + f.min] as number,
        max: data[at + f.max] as number,
        pause_ms: pause,
        total_heap_size: data[at + f.after + (h.total_heap_size as number)] as number,
        heap_size_limit: data[at + f.after + (h.heap_size_limit as number)] as number,
        external_memory: data[at + f.after + (h.external_memory as number)] as number,
      };
      this.emitter.emit('stats', stats);
    }
  }

  #decode(data: Float64Array, at: number): GcEvent {
    const { fields: f, flags: flagNames, types } = this.layout;
    const bits = data[at + f.flags] as number;
    const flags: GcFlag[] = [];
    for (let b = 0; b < flagNames.length; b++) if (bits & (1 << b)) flags.push(flagNames[b] as GcFlag);
    return {
      type: (types[data[at + f.kind] as number] ?? 'unknown') as GcType,
      flags,
      startTime: data[at + f.startTime] as number,
      durationMs: data[at + f.durationMs] as number,
      before: this.#heap(data, at + f.before),
      after: this.#heap(data, at + f.after),
      ownSnapshot: data[at + f.own] === 1,
      dropped: data[at + f.dropped] as number,
    };
  }

  #heap(data: Float64Array, at: number): HeapStatistics {
    const out = {} as Record<string, number>;
    const keys = this.layout.heap;
    for (let k = 0; k < keys.length; k++) out[keys[k] as string] = data[at + k] as number;
    return out as unknown as HeapStatistics;
  }
}
