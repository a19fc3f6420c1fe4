// ESM entry: `import heapwatch from 'heapwatch'` and named imports, over the CommonJS build.
// One copy of the code in the package, and no ESM import of Node's builtins: importing node:fs
// or node:util as ESM evaluates every lazy part of them (30 to 33 more Node modules on Node 24,
// streams, net and worker_threads among them), which require() does not.
import { createRequire } from 'node:module';
import type { Heapwatch } from './heapwatch.js';

const heapwatch = createRequire(import.meta.url)('./index.cjs') as Heapwatch;

export default heapwatch;
export const writeSnapshot = heapwatch.writeSnapshot;
export const snapshot = heapwatch.snapshot;
export const configure = heapwatch.configure;
export const HeapwatchError = heapwatch.HeapwatchError;
export const HeapDiff = heapwatch.HeapDiff;
export type { HeapwatchErrorCode } from './errors.js';
export type {
  HeapDiff as HeapDiffInstance,
  HeapDiffDetail,
  HeapDiffEndOptions,
  HeapDiffResult,
  HeapDiffSnapshotInfo,
} from './heap-diff.js';
export const gc = heapwatch.gc;
export type { GcEvent, GcFlag, GcType } from './gc-events.js';
export type { HeapStatistics, LeakInformation, StatsInformation } from './gc-stats.js';
export type { Heapwatch, HeapwatchEvents } from './heapwatch.js';
export type { ConfigureOptions } from './options.js';
export type { LeakSettings, Settings } from './settings.js';
export type {
  SnapshotEvent,
  SnapshotFailure,
  SnapshotInfo,
  SnapshotOptions,
  WriteSnapshotCallback,
} from './snapshot.js';
