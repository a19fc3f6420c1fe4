// Builds the exported object: memwatch's EventEmitter, heapdump's writeSnapshot, and the modern API.
import { EventEmitter } from 'node:events';
import type { HeapwatchError } from './errors.js';
import { attachGcEvents, type GcEvent } from './gc-events.js';
import type { LeakInformation, StatsInformation } from './gc-stats.js';
import { createHeapDiff, type HeapDiffConstructor } from './heap-diff.js';
import type * as Lazy from './lazy.js';
import type { Binding, CoreBinding, NativeSnapshotEvent } from './native.js';
import type { ConfigureOptions } from './options.js';
import { DEFAULTS, type Settings } from './settings.js';
import type { SnapshotEvent, SnapshotInfo, SnapshotOptions, WriteSnapshotCallback } from './snapshot.js';

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
  /** src/lazy.ts, loaded on first use (dist/lazy.cjs in the package, the module in tests). */
  lazy: () => typeof Lazy;
  /** The error classes (dist/shared.cjs in the package), loaded on first use. */
  errors: () => { HeapwatchError: typeof HeapwatchError };
}

export function createHeapwatch(binding: CoreBinding, host: HostInfo): Heapwatch {
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

  // Only what every process needs is loaded now: the emitter, the GC events, the signal and the
  // naming in the addon. The rest (host.lazy) loads on first use.
  let settings: Settings = { ...DEFAULTS, signal: false };
  let production: ReturnType<typeof Lazy.createProduction> | undefined;
  let api: ReturnType<typeof Lazy.createSnapshotApi> | undefined;

  // The addon's other functions come with the code that uses them.
  let full: Binding | undefined;
  const all = () => (full ??= binding.more());
  const prod = () =>
    (production ??= host.lazy().createProduction(all(), emitter, {
      isMainThread: host.isMainThread,
      warn: host.warn,
      settings: () => settings,
      writeUnattended: (trigger) => snapshotApi().unattended(trigger, host.warn),
    }));
  const snapshotApi = () =>
    (api ??= host.lazy().createSnapshotApi(all(), { afterWrite: (path) => prod().afterWrite(path) }));

  // The signal (process-wide: only the main thread answers it) and the names the addon generates.
  function install(next: Settings): void {
    const signalChanged =
      next.signal !== settings.signal || (next.signal && next.signalName !== settings.signalName);
    if (host.isMainThread && signalChanged) {
      if (next.signal) {
        const err = binding.watchSignal(next.signalName);
        if (err !== 0) host.warn(`heapwatch: could not watch ${next.signalName} (libuv error ${err})`);
      } else {
        binding.unwatchSignal();
      }
    }
    binding.configureNaming(next.dir, next.name, host.threadId, next.keep !== false);
  }

  // Throws (changing nothing) when the directory cannot be created.
  function apply(next: Settings): void {
    next = { ...next, dir: host.lazy().ensureDir(next.dir) };
    install(next);
    prod().apply(settings, next);
    const prev = settings;
    settings = next;
    gcEvents.settingsChanged();
    prod().settled(prev, next);
  }

  const gcEvents = attachGcEvents(emitter, binding, () =>
    host.lazy().createLeakWatch(emitter, all(), () => settings.leak),
  );
  binding.setSink((kind, payload) => {
    if (kind === 'snapshot') {
      for (const e of payload as NativeSnapshotEvent[]) {
        emitter.emit('snapshot', host.lazy().toSnapshotEvent(e));
        if (e.errno === 0) prod().afterWrite(e.path);
      }
    } else if (kind === 'gc') {
      gcEvents.onRecords(payload as Float64Array);
    }
  });

  // The class is made when first read (one class per instance), and its result code loads with
  // the first `new HeapDiff()`.
  let heapDiff: HeapDiffConstructor | undefined;
  Object.defineProperty(emitter, 'HeapDiff', {
    get: () => (heapDiff ??= createHeapDiff(all, host.lazy)),
    configurable: true,
    enumerable: true,
  });
  const own = {
    writeSnapshot: (...args: Parameters<Heapwatch['writeSnapshot']>) => snapshotApi().writeSnapshot(...args),
    snapshot: (options?: SnapshotOptions) => snapshotApi().snapshot(options),
    configure(options: ConfigureOptions): void {
      const lazy = host.lazy();
      apply(lazy.mergeSettings(settings, lazy.validateConfigure(options)));
    },
    gc(): void {
      binding.gc();
    },
  };
  for (const [key, value] of Object.entries(own)) {
    Object.defineProperty(emitter, key, { value, writable: true, configurable: true, enumerable: true });
  }
  // A getter: the class loads (dist/shared.cjs) when first asked for.
  Object.defineProperty(emitter, 'HeapwatchError', {
    get: () => host.errors().HeapwatchError,
    enumerable: false,
  });
  Object.defineProperty(emitter, 'settings', { get: () => ({ ...settings }), enumerable: false });

  // The variable is process-wide: its notices are printed by the first environment that reads
  // it, not again by each worker (a worker given another value gets its own).
  const envText = host.envOptions ?? '';
  const envWarn = binding.firstInProcess(`NODE_HEAPDUMP_OPTIONS=${envText}`) ? host.warn : () => {};
  if (envText.trim() === '') {
    // The defaults: nothing to parse, no directory to create, no production setting on.
    install(DEFAULTS);
    settings = DEFAULTS;
    return emitter;
  }
  const lazy = host.lazy();
  const fromEnv = lazy.parseEnvOptions(envText, envWarn);
  try {
    apply(lazy.mergeSettings(DEFAULTS, fromEnv));
  } catch (error) {
    // Only the directory can fail here: say so, and write to the current directory instead.
    envWarn(
      `heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "dir=${fromEnv.dir}": ${(error as Error).message}`,
    );
    apply(lazy.mergeSettings(DEFAULTS, { ...fromEnv, dir: '' }));
  }
  return emitter;
}
