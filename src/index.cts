// The package: `module.exports` is the emitter itself, as with heapdump and memwatch-next. One per
// environment: the ESM entry, a bundled copy of this major version and a worker's own require all
// find the one that globalThis (per environment) holds.
import { isMainThread, threadId } from 'node:worker_threads';
import { loadBinding } from './binding.js';
import type { HeapwatchErrorCode as ErrorCode } from './errors.js';
import { Heapwatch } from './heapwatch.js';
import type * as types from './types.js';

const KEY = Symbol.for('heapwatch.v1');
const store = globalThis as unknown as Record<symbol, types.Heapwatch | undefined>;

store[KEY] ??= new Heapwatch(loadBinding(), {
  isMainThread,
  threadId,
  envOptions: process.env.NODE_HEAPDUMP_OPTIONS,
  warn: (line) => process.stderr.write(`${line}\n`),
});
const heapwatch: types.Heapwatch = store[KEY]!;

declare namespace heapwatch {
  export type Heapwatch = types.Heapwatch;
  export type HeapwatchEvents = types.HeapwatchEvents;
  export type HeapwatchListener<K extends keyof types.HeapwatchEvents> = types.HeapwatchListener<K>;
  export type HeapwatchErrorCode = ErrorCode;
  export type HeapDiffDetail = types.HeapDiffDetail;
  export type HeapDiffEndOptions = types.HeapDiffEndOptions;
  export type HeapDiffResult = types.HeapDiffResult;
  export type HeapDiffSnapshotInfo = types.HeapDiffSnapshotInfo;
  export type ConfigureOptions = types.ConfigureOptions;
  export type Settings = types.Settings;
  export type SnapshotEvent = types.SnapshotEvent;
  export type SnapshotFailure = types.SnapshotFailure;
  export type SnapshotInfo = types.SnapshotInfo;
  export type SnapshotOptions = types.SnapshotOptions;
  export type WriteSnapshotCallback = types.WriteSnapshotCallback;
  export type StatsInformation = types.StatsInformation;
  export type LeakInformation = types.LeakInformation;
  export type LeakSettings = types.LeakSettings;
  export type HeapStatistics = types.HeapStatistics;
  export type GcEvent = types.GcEvent;
  export type GcType = types.GcType;
  export type GcFlag = types.GcFlag;
}

export = heapwatch;
