// heapwatch/opentelemetry: heapwatch's GC statistics, leaks and snapshots as OpenTelemetry
// metrics. @opentelemetry/api is an optional peer dependency: only this entry loads it.
import {
  type Attributes,
  type BatchObservableCallback,
  type Meter,
  type MeterProvider,
  metrics,
  type Observable,
} from '@opentelemetry/api';
import { invalidArg } from '../errors.js';

import heapwatch = require('../index.cjs');

import {
  type EventSinks,
  GC_DURATION_BUCKETS,
  type GcType,
  isBucketList,
  rejectUnknownOptions,
  SNAPSHOT_DURATION_BUCKETS,
  SNAPSHOT_SIZE_BUCKETS,
  THREAD_ID,
  watchHeapwatch,
} from './readings.js';

export interface OpenTelemetryMetricsOptions {
  /** The meter to create the instruments with; default: `meterProvider.getMeter('heapwatch')`. */
  meter?: Meter;
  /** Where to get the meter from (not with `meter`); default: the global MeterProvider. */
  meterProvider?: MeterProvider;
  /** Bucket boundaries advised for `heapwatch.gc.duration`, in seconds. */
  gcDurationBuckets?: number[];
}

/** What registerHeapwatchMetrics() returns. */
export interface HeapwatchMetrics {
  /**
   * Unhooks heapwatch and removes the observable callback. The SDK goes on exporting the last
   * values it collected (OpenTelemetry cannot remove an instrument); nothing new is recorded.
   */
  stop(): void;
}

/** Every instrument this entry creates, by name (the README's table lists them). */
export const METRIC_NAMES = [
  'heapwatch.heap.used_after_full_gc',
  'heapwatch.heap.estimated_base',
  'heapwatch.heap.usage_trend',
  'heapwatch.heap.size_limit',
  'heapwatch.gc.collections',
  'heapwatch.gc.duration',
  'heapwatch.leaks',
  'heapwatch.leak.growth',
  'heapwatch.snapshots',
  'heapwatch.snapshot.duration',
  'heapwatch.snapshot.size',
  'heapwatch.heap.limit_reached',
] as const;

/** heapwatch's GC types as the semantic conventions' `v8js.gc.type` values. */
const V8JS_GC_TYPE: Record<GcType, string> = {
  scavenge: 'minor',
  'minor-mark-sweep': 'minor',
  'mark-sweep-compact': 'major',
  'incremental-marking': 'incremental',
  'weak-callbacks': 'weakcb',
  unknown: 'unknown',
};

function validate(options: unknown): { meter: Meter; gcDurationBuckets: number[] } {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArg('options', 'an object', options);
  }
  const {
    meter,
    meterProvider,
    gcDurationBuckets = GC_DURATION_BUCKETS,
    ...rest
  } = options as Record<string, any>;
  rejectUnknownOptions(rest, options, 'meter, meterProvider or gcDurationBuckets');
  if (meter !== undefined && meterProvider !== undefined) {
    throw invalidArg('options', 'either `meter` or `meterProvider`, not both', options);
  }
  if (meter !== undefined && (typeof meter !== 'object' || typeof meter?.createHistogram !== 'function')) {
    throw invalidArg('options.meter', 'an OpenTelemetry Meter', meter);
  }
  if (
    meterProvider !== undefined &&
    (typeof meterProvider !== 'object' || typeof meterProvider?.getMeter !== 'function')
  ) {
    throw invalidArg('options.meterProvider', 'an OpenTelemetry MeterProvider', meterProvider);
  }
  if (!isBucketList(gcDurationBuckets)) {
    throw invalidArg(
      'options.gcDurationBuckets',
      'a non-empty array of increasing finite numbers (seconds)',
      gcDurationBuckets,
    );
  }
  return {
    meter: meter ?? (meterProvider ?? metrics.getMeterProvider()).getMeter('heapwatch'),
    gcDurationBuckets,
  };
}

/**
 * Creates heapwatch's instruments on an OpenTelemetry meter: the heap after the last full GC and
 * its trend, GCs by type and their pauses, leaks, snapshots and near-heap-limit events. Every
 * data point carries this thread's `thread.id` (0 in the main thread). The observable
 * instruments are read at collection time; nothing is hooked before this call.
 * @example
 *   const { registerHeapwatchMetrics } = require('heapwatch/opentelemetry');
 *   registerHeapwatchMetrics(); // on the global MeterProvider, after the SDK has started
 */
export function registerHeapwatchMetrics(options?: OpenTelemetryMetricsOptions): HeapwatchMetrics {
  const { meter, gcDurationBuckets } = validate(options);
  const base: Attributes = { 'thread.id': THREAD_ID };

  const gauge = (name: string, unit: string, description: string) =>
    meter.createObservableGauge(name, { unit, description });
  const counter = (name: string, unit: string, description: string) =>
    meter.createObservableCounter(name, { unit, description });
  const usedAfterFullGc = gauge(
    'heapwatch.heap.used_after_full_gc',
    'By',
    'V8 heap in use right after the last full (mark-sweep-compact) GC: what the program keeps.',
  );
  const estimatedBase = gauge(
    'heapwatch.heap.estimated_base',
    'By',
    "memwatch's estimated base: moving average of the heap after the last ~10 full GCs.",
  );
  const usageTrend = gauge(
    'heapwatch.heap.usage_trend',
    '1',
    "memwatch's usage trend as a ratio: how far the recent average of the heap after full GCs is above the long-run one (negative: below).",
  );
  const sizeLimit = gauge(
    'heapwatch.heap.size_limit',
    'By',
    "V8's heap size limit: the heap at which the process runs out of memory.",
  );
  const gcCount = counter(
    'heapwatch.gc.collections',
    '{collection}',
    'GCs since heapwatch metrics were registered, by v8js.gc.type.',
  );
  const gcDuration = meter.createHistogram('heapwatch.gc.duration', {
    unit: 's',
    description: 'GC pauses by v8js.gc.type, as seen by heapwatch.',
    advice: { explicitBucketBoundaries: gcDurationBuckets },
  });
  const leaks = counter(
    'heapwatch.leaks',
    '{leak}',
    "heapwatch 'leak' events: runs of full GCs that each ended with a larger heap.",
  );
  const leakGrowth = gauge(
    'heapwatch.leak.growth',
    'By',
    'Heap growth over the last leak run heapwatch reported.',
  );
  const snapshots = counter(
    'heapwatch.snapshots',
    '{snapshot}',
    'Heap snapshots by trigger (api, signal, leak, heap-limit) and result (written, failed, disk_guard, memory_check; error.type: the error code).',
  );
  const snapshotDuration = meter.createHistogram('heapwatch.snapshot.duration', {
    unit: 's',
    description: 'Time to take and write a heap snapshot (the thread is paused meanwhile), by trigger.',
    advice: { explicitBucketBoundaries: SNAPSHOT_DURATION_BUCKETS },
  });
  const snapshotSize = meter.createHistogram('heapwatch.snapshot.size', {
    unit: 'By',
    description: 'Size of the heap snapshot files written, by trigger.',
    advice: { explicitBucketBoundaries: SNAPSHOT_SIZE_BUCKETS },
  });
  const heapLimit = counter(
    'heapwatch.heap.limit_reached',
    '{event}',
    'Times V8 neared its heap limit and called heapwatch (with heapLimit / oom configured), snapshot written or not.',
  );

  // One attributes object per GC type, made once: the 'gc' listener runs after every GC.
  const byType = new Map<GcType, Attributes>();
  const sinks: EventSinks = {
    gc(type, seconds) {
      let a = byType.get(type);
      if (a === undefined) {
        a = { ...base, 'v8js.gc.type': V8JS_GC_TYPE[type] ?? type };
        byType.set(type, a);
      }
      gcDuration.record(seconds, a);
    },
    snapshot({ trigger, seconds, bytes }) {
      if (seconds === undefined || bytes === undefined) return;
      const a = { ...base, 'heapwatch.snapshot.trigger': trigger };
      snapshotDuration.record(seconds, a);
      snapshotSize.record(bytes, a);
    },
  };
  const { readings, stop } = watchHeapwatch(heapwatch, sinks);

  const observables: Observable[] = [
    usedAfterFullGc,
    estimatedBase,
    usageTrend,
    sizeLimit,
    gcCount,
    leaks,
    leakGrowth,
    snapshots,
    heapLimit,
  ];
  const observe: BatchObservableCallback = (result) => {
    const { stats } = readings;
    if (stats !== undefined) {
      result.observe(usedAfterFullGc, stats.current_base, base);
      result.observe(estimatedBase, stats.estimated_base, base);
      result.observe(usageTrend, stats.usage_trend / 100, base);
      result.observe(sizeLimit, stats.heap_size_limit, base);
    }
    // Scavenges and minor mark-sweeps are both 'minor': one data point per attribute set.
    const gcs = new Map<string, number>();
    for (const [type, count] of readings.gcs) {
      const semantic = V8JS_GC_TYPE[type] ?? type;
      gcs.set(semantic, (gcs.get(semantic) ?? 0) + count);
    }
    for (const [type, count] of gcs) result.observe(gcCount, count, { ...base, 'v8js.gc.type': type });
    result.observe(leaks, readings.leaks, base);
    if (readings.leakGrowth !== undefined) result.observe(leakGrowth, readings.leakGrowth, base);
    for (const { trigger, result: outcome, code, count } of readings.snapshots.values()) {
      const a: Attributes = {
        ...base,
        'heapwatch.snapshot.trigger': trigger,
        'heapwatch.snapshot.result': outcome,
      };
      if (code !== undefined) a['error.type'] = code;
      result.observe(snapshots, count, a);
    }
    result.observe(heapLimit, readings.heapLimit, base);
  };
  meter.addBatchObservableCallback(observe, observables);

  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      meter.removeBatchObservableCallback(observe, observables);
      stop();
    },
  };
}
