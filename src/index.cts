// CommonJS entry: `module.exports` is the emitter itself, as with heapdump and memwatch-next.
import type * as errorTypes from './errors.js';
import type * as gcEventTypes from './gc-events.js';
import type * as gcStatTypes from './gc-stats.js';
import type * as heapDiffTypes from './heap-diff.js';
import type * as heapwatchTypes from './heapwatch.js';
import { instance } from './instance.js';
import type * as optionTypes from './options.js';
import type * as settingTypes from './settings.js';
import type * as snapshotTypes from './snapshot.js';

// dist/lazy.cjs (src/lazy.ts) and dist/shared.cjs (src/shared.cts, the error classes): built as
// entries of their own (tsup.config.ts), loaded on first use. Kept here: a second require() would
// still allocate (HeapDiff counts what is allocated).
let lazy: typeof import('./lazy.js') | undefined;
let errors: typeof import('./shared.cjs') | undefined;
const heapwatch: heapwatchTypes.Heapwatch = instance({
  lazy: () => (lazy ??= require('./lazy.cjs')),
  errors: () => (errors ??= require('./shared.cjs')),
});

declare namespace heapwatch {
  export type Heapwatch = heapwatchTypes.Heapwatch;
  export type HeapwatchEvents = heapwatchTypes.HeapwatchEvents;
  export type HeapwatchErrorCode = errorTypes.HeapwatchErrorCode;
  export type HeapDiffDetail = heapDiffTypes.HeapDiffDetail;
  export type HeapDiffEndOptions = heapDiffTypes.HeapDiffEndOptions;
  export type HeapDiffResult = heapDiffTypes.HeapDiffResult;
  export type HeapDiffSnapshotInfo = heapDiffTypes.HeapDiffSnapshotInfo;
  export type ConfigureOptions = optionTypes.ConfigureOptions;
  export type Settings = settingTypes.Settings;
  export type SnapshotEvent = snapshotTypes.SnapshotEvent;
  export type SnapshotFailure = snapshotTypes.SnapshotFailure;
  export type SnapshotInfo = snapshotTypes.SnapshotInfo;
  export type SnapshotOptions = snapshotTypes.SnapshotOptions;
  export type WriteSnapshotCallback = snapshotTypes.WriteSnapshotCallback;
  export type StatsInformation = gcStatTypes.StatsInformation;
  export type LeakInformation = gcStatTypes.LeakInformation;
  export type LeakSettings = settingTypes.LeakSettings;
  export type HeapStatistics = gcStatTypes.HeapStatistics;
  export type GcEvent = gcEventTypes.GcEvent;
  export type GcType = gcEventTypes.GcType;
  export type GcFlag = gcEventTypes.GcFlag;
}

export = heapwatch;
