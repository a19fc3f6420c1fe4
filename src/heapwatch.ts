// Builds the exported object: memwatch's EventEmitter, heapdump's writeSnapshot, and the modern API.
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { HeapwatchError } from './errors.js';
import { attachGcEvents, type GcEvent } from './gc-events.js';
import type { LeakInformation, StatsInformation } from './gc-stats.js';
import { createHeapDiff, type HeapDiffConstructor } from './heap-diff.js';
import type { Binding, NativeSnapshotEvent } from './native.js';
import {
  type ConfigureOptions,
  DEFAULTS,
  mergeSettings,
  parseEnvOptions,
  type Settings,
  validateConfigure,
} from './options.js';
import { createProduction, ensureDir } from './production.js';
import {
  createSnapshotApi,
  type SnapshotEvent,
  type SnapshotInfo,
  type SnapshotOptions,
  toSnapshotEvent,
  type WriteSnapshotCallback,
} from './snapshot.js';

/** The events heapwatch emits. It never emits 'error'. */
export interface HeapwatchEvents {
  /** After every snapshot heapwatch writes on its own (signal, leak, heap-limit), or its failure. */
  snapshot: [event: SnapshotEvent];
  /** After each full GC (memwatch's statistics), on a later turn of the event loop. */
  stats: [stats: StatsInformation];
  /** When the heap kept growing over several full GCs; emitted before that GC's 'stats'. */
  leak: [info: LeakInformation];
  /** After every GC, in order, while listened to. */
  gc: [event: GcEvent];
}

/** The exported object: an EventEmitter with heapdump's and memwatch's functions as own properties. */
export interface Heapwatch extends EventEmitter {
  /**
   * heapdump's API: writes a heap snapshot synchronously; the callback runs before it returns.
   * @example
   *   heapwatch.writeSnapshot('/tmp/app.heapsnapshot', (err, filename) => { ... });
   */
  writeSnapshot(filename?: string, callback?: WriteSnapshotCallback): boolean;
  writeSnapshot(callback: WriteSnapshotCallback): boolean;
  /**
   * memwatch's gc(): a full, synchronous garbage collection (no --expose-gc needed). At least one
   * 'stats' event follows, after it returns.
   * @example
   *   heapwatch.once('stats', (stats) => console.log(stats.current_base));
   *   heapwatch.gc();
   */
  gc(): void;
  /** Writes a heap snapshot; resolves with its path, size and duration. */
  snapshot(options?: SnapshotOptions): Promise<SnapshotInfo>;
  /**
   * Changes settings at run time (the same ones NODE_HEAPDUMP_OPTIONS sets at load).
   * Throws a HeapwatchError naming the bad option.
   * @example
   *   heapwatch.configure({ signal: false });
   */
  configure(options: ConfigureOptions): void;
  /**
   * memwatch's HeapDiff: `new HeapDiff()` records the heap, `end()` records it again and returns
   * what changed, grouped by constructor name.
   * @example
   *   const diff = new heapwatch.HeapDiff();
   *   runSuspectCode();
   *   const { change } = diff.end({ retainers: 2 });
   */
  readonly HeapDiff: HeapDiffConstructor;
  /** The class of every error heapwatch throws, rejects with or reports. */
  readonly HeapwatchError: typeof HeapwatchError;
  /** The settings in force. */
  readonly settings: Readonly<Settings>;

  on<K extends keyof HeapwatchEvents>(event: K, listener: (...args: HeapwatchEvents[K]) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once<K extends keyof HeapwatchEvents>(event: K, listener: (...args: HeapwatchEvents[K]) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  addListener<K extends keyof HeapwatchEvents>(
    event: K,
    listener: (...args: HeapwatchEvents[K]) => void,
  ): this;
  addListener(event: string | symbol, listener: (...args: any[]) => void): this;
  off<K extends keyof HeapwatchEvents>(event: K, listener: (...args: HeapwatchEvents[K]) => void): this;
  off(event: string | symbol, listener: (...args: any[]) => void): this;
  removeListener<K extends keyof HeapwatchEvents>(
    event: K,
    listener: (...args: HeapwatchEvents[K]) => void,
  ): this;
  removeListener(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface HostInfo {
  isMainThread: boolean;
  threadId: number;
  envOptions: string | undefined;
  warn: (line: string) => void;
}

export function createHeapwatch(binding: Binding, host: HostInfo): Heapwatch {
  const emitter = new EventEmitter() as Heapwatch;

  // memwatch's users write `import * as memwatch from 'memwatch-next'`, which under
  // esModuleInterop copies only own properties: make every emitter method an own, bound one.
  for (const key of Object.getOwnPropertyNames(EventEmitter.prototype)) {
    const value = (EventEmitter.prototype as unknown as Record<string, unknown>)[key];
    if (key !== 'constructor' && typeof value === 'function') {
      Object.defineProperty(emitter, key, {
        value: value.bind(emitter),
        writable: true,
        configurable: true,
        // Enumerable: Babel's and older TypeScript's interop helpers copy with for...in.
        enumerable: true,
      });
    }
  }

  let settings: Settings = { ...DEFAULTS };

  const production = createProduction(binding, emitter, {
    isMainThread: host.isMainThread,
    warn: host.warn,
    settings: () => settings,
    writeUnattended: (trigger) => api.unattended(trigger, host.warn),
  });

  // Throws (changing nothing) when the directory cannot be created.
  function apply(next: Settings): void {
    next = { ...next, dir: ensureDir(next.dir) };
    // The signal is process-wide: only the main thread answers it.
    const signalChanged =
      next.signal !== settings.signal || (next.signal && next.signalName !== settings.signalName);
    if (host.isMainThread && signalChanged) {
      if (next.signal) {
        const signo = constants.signals[next.signalName as keyof typeof constants.signals];
        const err = binding.watchSignal(signo);
        if (err !== 0) host.warn(`heapwatch: could not watch ${next.signalName} (libuv error ${err})`);
      } else {
        binding.unwatchSignal();
      }
    }
    binding.configureNaming(next.dir, next.name, host.threadId, next.keep !== false);
    production.apply(settings, next);
    const prev = settings;
    settings = next;
    gcEvents.settingsChanged();
    production.settled(prev, next);
  }

  const gcEvents = attachGcEvents(emitter, binding, () => settings.leak);
  binding.setSink((kind, payload) => {
    if (kind === 'snapshot') {
      for (const e of payload as NativeSnapshotEvent[]) {
        emitter.emit('snapshot', toSnapshotEvent(e));
        if (e.errno === 0) production.afterWrite(e.path);
      }
    } else if (kind === 'gc') {
      gcEvents.onRecords(payload as Float64Array);
    }
  });

  const api = createSnapshotApi(binding, { afterWrite: production.afterWrite });
  const own = {
    HeapDiff: createHeapDiff(binding),
    writeSnapshot: api.writeSnapshot,
    snapshot: api.snapshot,
    configure(options: ConfigureOptions): void {
      apply(mergeSettings(settings, validateConfigure(options)));
    },
    gc(): void {
      binding.gc();
    },
  };
  for (const [key, value] of Object.entries(own)) {
    Object.defineProperty(emitter, key, { value, writable: true, configurable: true, enumerable: true });
  }
  Object.defineProperty(emitter, 'HeapwatchError', { value: HeapwatchError, enumerable: false });
  Object.defineProperty(emitter, 'settings', { get: () => ({ ...settings }), enumerable: false });

  // Start from "signal off" so that apply() installs what the defaults and the environment ask for.
  settings = { ...DEFAULTS, signal: false };
  // The variable is process-wide: its notices are printed by the first environment that reads
  // it, not again by each worker (a worker given another value gets its own).
  const envText = host.envOptions ?? '';
  const envWarn = binding.firstInProcess(`NODE_HEAPDUMP_OPTIONS=${envText}`) ? host.warn : () => {};
  const fromEnv = parseEnvOptions(envText, envWarn);
  try {
    apply(mergeSettings(DEFAULTS, fromEnv));
  } catch (error) {
    // Only the directory can fail here: say so, and write to the current directory instead.
    envWarn(
      `heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "dir=${fromEnv.dir}": ${(error as Error).message}`,
    );
    apply(mergeSettings(DEFAULTS, { ...fromEnv, dir: '' }));
  }
  return emitter;
}
