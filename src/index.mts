// ESM entry: `import heapwatch from 'heapwatch'` and named imports, over the CommonJS build, so
// that the package has one copy of its code and both entries one object.
import { createRequire } from 'node:module';
import type { Heapwatch } from './types.js';

const heapwatch = createRequire(import.meta.url)('./index.cjs') as Heapwatch;

export default heapwatch;
export const writeSnapshot = heapwatch.writeSnapshot;
export const snapshot = heapwatch.snapshot;
export const configure = heapwatch.configure;
export const HeapwatchError = heapwatch.HeapwatchError;
export const HeapDiff = heapwatch.HeapDiff;
export const gc = heapwatch.gc;
export type { HeapwatchErrorCode } from './errors.js';
export type {
  ConfigureOptions,
  GcEvent,
  GcFlag,
  GcType,
  HeapDiff as HeapDiffInstance,
  HeapDiffDetail,
  HeapDiffEndOptions,
  HeapDiffResult,
  HeapDiffSnapshotInfo,
  HeapStatistics,
  Heapwatch,
  HeapwatchEvents,
  HeapwatchListener,
  LeakInformation,
  LeakSettings,
  Settings,
  SnapshotEvent,
  SnapshotFailure,
  SnapshotInfo,
  SnapshotOptions,
  StatsInformation,
  WriteSnapshotCallback,
} from './types.js';
