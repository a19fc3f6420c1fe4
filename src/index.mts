// ESM entry: `import heapwatch from 'heapwatch'` and named imports.
import { heapwatch } from './instance.js';

export default heapwatch;
export const writeSnapshot = heapwatch.writeSnapshot;
export const snapshot = heapwatch.snapshot;
export const configure = heapwatch.configure;
export const HeapwatchError = heapwatch.HeapwatchError;
export const gc = heapwatch.gc;
export type { HeapwatchErrorCode } from './errors.js';
export type { GcEvent, GcFlag, GcType } from './gc-events.js';
export type { HeapStatistics, LeakInformation, LeakSettings, StatsInformation } from './gc-stats.js';
export type { Heapwatch, HeapwatchEvents } from './heapwatch.js';
export type { ConfigureOptions, Settings } from './options.js';
export type {
  SnapshotEvent,
  SnapshotFailure,
  SnapshotInfo,
  SnapshotOptions,
  WriteSnapshotCallback,
} from './snapshot.js';
