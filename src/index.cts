// CommonJS entry: `module.exports` is the emitter itself, as with heapdump and memwatch-next.
import type * as errorTypes from './errors.js';
import type * as gcEventTypes from './gc-events.js';
import type * as gcStatTypes from './gc-stats.js';
import type * as heapwatchTypes from './heapwatch.js';
import { heapwatch as instance } from './instance.js';
import type * as optionTypes from './options.js';
import type * as snapshotTypes from './snapshot.js';

const heapwatch: heapwatchTypes.Heapwatch = instance;

declare namespace heapwatch {
  export type Heapwatch = heapwatchTypes.Heapwatch;
  export type HeapwatchEvents = heapwatchTypes.HeapwatchEvents;
  export type HeapwatchErrorCode = errorTypes.HeapwatchErrorCode;
  export type ConfigureOptions = optionTypes.ConfigureOptions;
  export type Settings = optionTypes.Settings;
  export type SnapshotEvent = snapshotTypes.SnapshotEvent;
  export type SnapshotFailure = snapshotTypes.SnapshotFailure;
  export type SnapshotInfo = snapshotTypes.SnapshotInfo;
  export type SnapshotOptions = snapshotTypes.SnapshotOptions;
  export type WriteSnapshotCallback = snapshotTypes.WriteSnapshotCallback;
  export type StatsInformation = gcStatTypes.StatsInformation;
  export type LeakInformation = gcStatTypes.LeakInformation;
  export type LeakSettings = gcStatTypes.LeakSettings;
  export type HeapStatistics = gcStatTypes.HeapStatistics;
  export type GcEvent = gcEventTypes.GcEvent;
  export type GcType = gcEventTypes.GcType;
  export type GcFlag = gcEventTypes.GcFlag;
}

export = heapwatch;
