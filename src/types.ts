// The public types: the exported object, its events and their payloads, its options. One module,
// so that the code that makes each of them can share them without importing each other. They need
// no other declarations (not @types/node): users compile against them as they are.
import type { HeapwatchError } from './errors.js';

/** The events heapwatch emits, with their listeners' arguments. It never emits 'error'. */
export interface HeapwatchEvents {
  /** After every snapshot heapwatch writes on its own (signal, leak, heap-limit), or its failure. */
  snapshot: [event: SnapshotEvent];
  /** After each full GC (memwatch's statistics), on a later turn of the event loop. */
  stats: [stats: StatsInformation];
  /** When the heap kept growing over several full GCs; emitted before that GC's 'stats'. */
  leak: [info: LeakInformation];
  /** After every GC, in order, while listened to. */
  gc: [event: GcEvent];
  /** EventEmitter's own: a listener is being added. */
  newListener: [event: string | symbol, listener: (...args: any[]) => void];
  /** EventEmitter's own: a listener was removed. */
  removeListener: [event: string | symbol, listener: (...args: any[]) => void];
}

/** A listener for `K`: a misspelled event name or a listener of the wrong shape does not compile. */
export type HeapwatchListener<K extends keyof HeapwatchEvents> = (...args: HeapwatchEvents[K]) => void;

/**
 * The exported object: memwatch's EventEmitter (`instanceof EventEmitter` holds), with heapdump's
 * and memwatch's functions as own properties. Its emitter methods are typed by HeapwatchEvents.
 */
export interface Heapwatch {
  /**
   * heapdump's API: writes a heap snapshot synchronously; the callback runs before it returns.
   * @example
   *   heapwatch.writeSnapshot('/tmp/app.heapsnapshot', (err, filename) => {
   *     if (err) console.error(err.code, err.message);
   *   });
   */
  writeSnapshot(filename?: string, callback?: WriteSnapshotCallback): boolean;
  writeSnapshot(callback: WriteSnapshotCallback): boolean;
  /**
   * memwatch's gc(): a full, synchronous garbage collection (no --expose-gc needed), counted as one
   * full GC. One 'stats' event follows, after it returns.
   * @example
   *   heapwatch.once('stats', (stats) => console.log(stats.current_base));
   *   heapwatch.gc();
   */
  gc(): void;
  /**
   * Writes a heap snapshot; resolves with its path, size and duration.
   * @example
   *   const { path, bytes } = await heapwatch.snapshot({ dir: '/var/tmp' });
   */
  snapshot(options?: SnapshotOptions): Promise<SnapshotInfo>;
  /**
   * Changes settings at run time (the same ones NODE_HEAPDUMP_OPTIONS sets at load), all or
   * nothing. Throws a HeapwatchError naming the bad option.
   * @example
   *   heapwatch.configure({ signal: false });
   */
  configure(options: ConfigureOptions): void;
  /**
   * memwatch's HeapDiff: `new HeapDiff()` records the heap, `end()` records it again and returns
   * what changed, grouped by constructor name.
   * @example
   *   const diff = new heapwatch.HeapDiff();
   *   const { change } = diff.end({ retainers: 2 });
   */
  readonly HeapDiff: HeapDiffConstructor;
  /** The class of every error heapwatch throws, rejects with or reports. */
  readonly HeapwatchError: typeof HeapwatchError;
  /** The settings in force. */
  readonly settings: Readonly<Settings>;

  on<K extends keyof HeapwatchEvents>(event: K, listener: HeapwatchListener<K>): this;
  once<K extends keyof HeapwatchEvents>(event: K, listener: HeapwatchListener<K>): this;
  addListener<K extends keyof HeapwatchEvents>(event: K, listener: HeapwatchListener<K>): this;
  prependListener<K extends keyof HeapwatchEvents>(event: K, listener: HeapwatchListener<K>): this;
  prependOnceListener<K extends keyof HeapwatchEvents>(event: K, listener: HeapwatchListener<K>): this;
  off<K extends keyof HeapwatchEvents>(event: K, listener: HeapwatchListener<K>): this;
  removeListener<K extends keyof HeapwatchEvents>(event: K, listener: HeapwatchListener<K>): this;
  removeAllListeners(event?: keyof HeapwatchEvents): this;
  emit<K extends keyof HeapwatchEvents>(event: K, ...args: HeapwatchEvents[K]): boolean;
  listenerCount(event: keyof HeapwatchEvents): number;
  listeners(event: keyof HeapwatchEvents): Function[];
  rawListeners(event: keyof HeapwatchEvents): Function[];
  eventNames(): Array<string | symbol>;
  setMaxListeners(n: number): this;
  getMaxListeners(): number;
}

// ---------------------------------------------------------------- snapshots

/** What a written snapshot reports. */
export interface SnapshotInfo {
  /** Absolute path of the file. */
  path: string;
  /** Size of the file in bytes. */
  bytes: number;
  /** Time from the start of the snapshot to the file being complete. */
  durationMs: number;
  /** Why it was written: 'api', 'signal', ... */
  trigger: string;
}

/** The 'snapshot' event's payload when heapwatch failed to write one on its own. */
export interface SnapshotFailure {
  error: HeapwatchError;
  trigger: string;
}

export type SnapshotEvent = SnapshotInfo | SnapshotFailure;

/**
 * heapdump's callback: `(null, filename)` on success, `(err)` on failure, where `err.message` is
 * heapdump's (`heapdump write error ENOENT`) and `err.code`, `errno`, `syscall`, `path` say more.
 */
export type WriteSnapshotCallback = (err: HeapwatchError | null, filename?: string) => void;

export interface SnapshotOptions {
  /** File to write; relative to the current directory. Mutually exclusive with `dir`. */
  filename?: string;
  /** Directory for a generated name (default: the configured `dir`, else the current directory). */
  dir?: string;
}

// ---------------------------------------------------------------- GC events

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

/** V8's heap statistics at one moment (names as in `v8.getHeapStatistics()`), in bytes. */
export interface HeapStatistics {
  used_heap_size: number;
  total_heap_size: number;
  heap_size_limit: number;
  external_memory: number;
  total_physical_size: number;
  malloced_memory: number;
}

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

// ---------------------------------------------------------------- HeapDiff

/** The heap at one end of a HeapDiff. */
export interface HeapDiffSnapshotInfo {
  /** Nodes in V8's heap snapshot. */
  nodes: number;
  /** Total self size of those nodes, in bytes (HeapDiff's own objects left out). */
  size_bytes: number;
  /** `size_bytes` as memwatch prints it: `"1.78 mb"`. */
  size: string;
  /** When the snapshot was taken (memwatch 0.2.2 had this). */
  time: Date;
}

/** What changed in one group of objects. */
export interface HeapDiffDetail {
  /** The constructor name for objects, else `Array`, `String`, `Code`, `Closure`, `RegExp`,
   * `Number`, `Native`, `Symbol` or `BigInt`. */
  what: string;
  /** Self size of the allocated objects minus that of the freed ones. */
  size_bytes: number;
  size: string;
  /** Objects allocated (in the second snapshot only). */
  '+': number;
  /** Objects freed (in the first snapshot only). */
  '-': number;
  /** With `end({ retainers: n })`, for the n groups that grew most: sample paths from the GC
   * roots to allocated objects of this group, e.g.
   * `global > cache (property) > Map > table (internal) > (internal array) > 7 (internal) > LeakingClass`. */
  retainers?: string[];
}

/** What `end()` returns: memwatch's shape, plus `time` on both ends. */
export interface HeapDiffResult {
  before: HeapDiffSnapshotInfo;
  after: HeapDiffSnapshotInfo;
  change: {
    size_bytes: number;
    size: string;
    freed_nodes: number;
    allocated_nodes: number;
    /** One entry per group that changed, sorted by `what` in byte order. */
    details: HeapDiffDetail[];
  };
}

export interface HeapDiffEndOptions {
  /** For this many groups that grew most (by net bytes), add sample retainer paths.
   * Default 0: exactly memwatch's output. Costs one extra walk of the second snapshot. */
  retainers?: number;
}

/** An object that records the heap when created and compares it with the heap at `end()`. */
export interface HeapDiff {
  /**
   * Records the heap again and returns what changed since the constructor. Once only.
   * @example
   *   const diff = new heapwatch.HeapDiff();
   *   runSuspectCode();
   *   console.dir(diff.end({ retainers: 2 }), { depth: null });
   */
  end(options?: HeapDiffEndOptions): HeapDiffResult;
}

export interface HeapDiffConstructor {
  /** Records the heap now: pauses for about one heap snapshot, then holds a compact table
   * (16 bytes per snapshot node) in native memory until `end()`. */
  new (): HeapDiff;
  readonly prototype: HeapDiff;
}

// ---------------------------------------------------------------- settings

/** When a run of growing full GCs is a leak. */
export interface LeakSettings {
  /** Growing full GCs in a row (memwatch: 5). */
  consecutiveGcs: number;
  /** The run must have grown the heap by at least this many bytes (memwatch: 0). */
  minGrowth: number;
  /** The run must have lasted at least this many ms (memwatch: 0). */
  minDuration: number;
  /**
   * Start incremental marking when the heap has grown and V8 has not run a full GC for a while,
   * within a budget, so that leaks show up in seconds rather than at V8's next full GC (memwatch:
   * false).
   */
  probe: boolean;
}

/** `snapshotOnLeak`: at most one snapshot per cooldown, and `max` in all. */
export interface LeakSnapshotSettings {
  /** Minimum time between two leak snapshots, in milliseconds. */
  cooldown: number;
  /** Leak snapshots per process, at most. */
  max: number;
}

/** Everything configure() and NODE_HEAPDUMP_OPTIONS can set. */
export interface Settings {
  /** Write a snapshot on `signalName` (main thread only). */
  signal: boolean;
  /** The snapshot signal: SIGUSR2 unless configured (see signals.ts for the allowed ones). */
  signalName: string;
  /** Directory for the snapshots heapwatch names itself; '' = the current directory at write time. */
  dir: string;
  /** File name template for the snapshots heapwatch names itself. */
  name: string;
  /** Keep at most this many of heapwatch's own snapshots per directory; false = keep all. */
  keep: number | false;
  /** Write a snapshot when V8 nears its heap limit, at most `max` times. */
  heapLimit: false | { max: number };
  /** Write a snapshot on 'leak', at most once per `cooldown` ms and `max` times. */
  snapshotOnLeak: false | LeakSnapshotSettings;
  /** When a run of growing full GCs is reported as `'leak'`. */
  leak: LeakSettings;
}

/** What configure() accepts. */
export interface ConfigureOptions {
  /** true/false, or the name of the signal to use instead of SIGUSR2 (which turns it on). */
  signal?: boolean | string;
  /** Directory for the snapshots heapwatch names itself; created 0700; relative to cwd now. */
  dir?: string;
  /** Name template: {pid} {tid} {seq} {date} {trigger} {sec} {usec}. */
  name?: string;
  /** Keep at most N of heapwatch's own snapshots per directory; false = keep all. */
  keep?: number | false;
  /** Snapshot near the heap limit; `max` defaults to 1. */
  heapLimit?: boolean | { max?: number };
  /** Snapshot on 'leak'; `cooldown` (ms, or '10m', '30s', ...) defaults to 10 minutes, `max` to 3. */
  snapshotOnLeak?: boolean | { cooldown?: number | string; max?: number };
  /** When a run of growing full GCs is reported as `'leak'`; or a preset's name. */
  leak?: Partial<LeakSettings> | 'memwatch' | 'default';
}
