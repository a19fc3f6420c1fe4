// What heapwatch/prometheus and heapwatch/opentelemetry both read: heapwatch's public events
// folded into a few numbers. A scrape reads these numbers as they are; nothing proportional to
// the heap is walked at collection time (the heap was measured by V8 at the last GC).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { threadId } from 'node:worker_threads';
import { invalidArg } from '../errors.js';

import type heapwatch = require('../index.cjs');

type Heapwatch = heapwatch.Heapwatch;
export type GcType = heapwatch.GcType;
type SnapshotEvent = heapwatch.SnapshotEvent;

/** This environment's thread id (0 in the main thread), as the metrics' thread label carries it. */
export const THREAD_ID = threadId;

/**
 * Published by heapwatch for every snapshot's outcome, of every trigger: the API's (which the
 * 'snapshot' event does not report) as well as the signal, leak and heap-limit ones.
 */
export const SNAPSHOT_CHANNEL = 'heapwatch:snapshot';

/** How a snapshot ended, for the snapshot counter's `result`. */
export type SnapshotResult = 'written' | 'failed' | 'disk_guard' | 'memory_check';

export interface SnapshotOutcome {
  /** 'api', 'signal', 'leak' or 'heap-limit'. */
  trigger: string;
  result: SnapshotResult;
  /** The error's code (ENOSPC, ENOENT, ENOMEM, ...); undefined when written. */
  code: string | undefined;
  /** Written snapshots: the file's size and the time it took. */
  bytes?: number;
  seconds?: number;
}

/**
 * Sorts a snapshot outcome: the disk guard refuses with ENOSPC from `statfs`, the heap-limit
 * memory check with ENOMEM from `heap-limit` (README, "Disk guard" and "Near the heap limit");
 * anything else that failed is `failed` with its code.
 */
export function classifySnapshot(event: SnapshotEvent): SnapshotOutcome {
  if (!('error' in event)) {
    return {
      trigger: event.trigger,
      result: 'written',
      code: undefined,
      bytes: event.bytes,
      seconds: event.durationMs / 1000,
    };
  }
  const { code, syscall } = event.error;
  const result =
    code === 'ENOSPC' && syscall === 'statfs'
      ? 'disk_guard'
      : code === 'ENOMEM' && syscall === 'heap-limit'
        ? 'memory_check'
        : 'failed';
  return { trigger: event.trigger, result, code: String(code) };
}

/** One line of the snapshot counter. */
export interface SnapshotCount {
  trigger: string;
  result: SnapshotResult;
  code: string | undefined;
  count: number;
}

/** The state the observable metrics read at collection time. */
export interface Readings {
  /** The last 'stats' (after a full GC); undefined until the first one. */
  stats: heapwatch.StatsInformation | undefined;
  /** GCs by heapwatch's type name (README, Event 'gc'), since registering. */
  gcs: Map<GcType, number>;
  /** 'leak' events since registering, and the growth the last one reported (bytes). */
  leaks: number;
  leakGrowth: number | undefined;
  /** Snapshot outcomes by trigger, result and code. */
  snapshots: Map<string, SnapshotCount>;
  /** Times V8 called heapwatch's near-heap-limit callback (snapshot written or not). */
  heapLimit: number;
}

/** What a stack records at the moment of the event (its histograms). */
export interface EventSinks {
  gc(type: GcType, seconds: number): void;
  snapshot(outcome: SnapshotOutcome): void;
}

/**
 * Listens to heapwatch ('stats', 'gc', 'leak', and the snapshot channel) until stop(). This is
 * what hooks the GC: nothing is hooked before a stack calls it.
 */
export function watchHeapwatch(hw: Heapwatch, sinks: EventSinks): { readings: Readings; stop(): void } {
  const readings: Readings = {
    stats: undefined,
    gcs: new Map(),
    leaks: 0,
    leakGrowth: undefined,
    snapshots: new Map(),
    heapLimit: 0,
  };
  const onStats = (stats: heapwatch.StatsInformation) => {
    readings.stats = stats;
  };
  const onGc = (event: heapwatch.GcEvent) => {
    readings.gcs.set(event.type, (readings.gcs.get(event.type) ?? 0) + 1);
    sinks.gc(event.type, event.durationMs / 1000);
  };
  const onLeak = (info: heapwatch.LeakInformation) => {
    readings.leaks++;
    readings.leakGrowth = info.growth;
  };
  const onSnapshot = (message: unknown) => {
    const outcome = classifySnapshot(message as SnapshotEvent);
    if (outcome.trigger === 'heap-limit') readings.heapLimit++;
    const key = `${outcome.trigger}\0${outcome.result}\0${outcome.code ?? ''}`;
    const line = readings.snapshots.get(key);
    if (line !== undefined) line.count++;
    else readings.snapshots.set(key, { ...outcome, count: 1 });
    sinks.snapshot(outcome);
  };
  hw.on('stats', onStats);
  hw.on('gc', onGc);
  hw.on('leak', onLeak);
  subscribe(SNAPSHOT_CHANNEL, onSnapshot);
  return {
    readings,
    stop() {
      hw.off('stats', onStats);
      hw.off('gc', onGc);
      hw.off('leak', onLeak);
      unsubscribe(SNAPSHOT_CHANNEL, onSnapshot);
    },
  };
}

/** GC durations: scavenges take about a millisecond, full GCs of large heaps seconds. */
export const GC_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** Snapshot durations: 0.2 s for a 4 MB heap, about 30 s for 300 MB (bench/README.md). */
export const SNAPSHOT_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Snapshot files: 1.2 to 2.2 times the heap, from a few MB to several GB. */
export const SNAPSHOT_SIZE_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384].map((mb) => mb * 1024 * 1024);

/** Checks a bucket list option: finite numbers in increasing order. */
export function isBucketList(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > value[i - 1]))
  );
}

/** Throws, naming the first, when `rest` (what destructuring left) holds options nobody knows. */
export function rejectUnknownOptions(rest: object, options: unknown, known: string): void {
  const [unknown] = Object.keys(rest);
  if (unknown !== undefined)
    throw invalidArg('options', `an object with ${known}`, options, `unknown option \`${unknown}\``);
}
