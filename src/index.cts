// CommonJS entry: `module.exports` is the emitter itself, as with heapdump and memwatch-next.
import type * as errorTypes from './errors.js';
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
}

export = heapwatch;
