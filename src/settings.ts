// The settings' shape and defaults: all that loading heapwatch needs of them. Parsing and
// validation (options.ts) load only when NODE_HEAPDUMP_OPTIONS is set or configure() is called.
import type { LeakSnapshotSettings } from './leak-snapshot.js';

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

/** heapwatch's default: memwatch's rule plus a minimum growth and duration, with probing. */
export const DEFAULT_LEAK: Readonly<LeakSettings> = Object.freeze({
  consecutiveGcs: 5,
  minGrowth: 1024 * 1024,
  minDuration: 5000,
  probe: true,
});

/** memwatch-next's rule exactly: `configure({ leak: MEMWATCH_LEAK })`. */
export const MEMWATCH_LEAK: Readonly<LeakSettings> = Object.freeze({
  consecutiveGcs: 5,
  minGrowth: 0,
  minDuration: 0,
  probe: false,
});

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

export const DEFAULT_NAME = 'heapdump-{sec}.{usec}.heapsnapshot';

export const DEFAULTS: Readonly<Settings> = Object.freeze({
  signal: true,
  signalName: 'SIGUSR2',
  dir: '',
  name: DEFAULT_NAME,
  keep: false,
  heapLimit: false,
  snapshotOnLeak: false,
  leak: DEFAULT_LEAK,
});
