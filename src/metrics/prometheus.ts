// heapwatch/prometheus: heapwatch's GC statistics, leaks and snapshots as prom-client metrics.
// prom-client is an optional peer dependency: only this entry loads it.
import * as client from 'prom-client';
import { invalidArg } from '../errors.js';

import heapwatch = require('../index.cjs');

import {
  type EventSinks,
  GC_DURATION_BUCKETS,
  type GcType,
  isBucketList,
  type Readings,
  rejectUnknownOptions,
  SNAPSHOT_DURATION_BUCKETS,
  SNAPSHOT_SIZE_BUCKETS,
  THREAD_ID,
  watchHeapwatch,
} from './readings.js';

export interface PrometheusMetricsOptions {
  /** The registry to register on; default: prom-client's global `register`. */
  register?: client.Registry;
  /**
   * Labels added to every heapwatch metric, as in prom-client's collectDefaultMetrics(); for
   * example `{ worker: String(cluster.worker.id) }` to tell cluster workers apart.
   */
  labels?: Record<string, string | number>;
  /** Upper bounds of `heapwatch_gc_duration_seconds`, in seconds. */
  gcDurationBuckets?: number[];
}

/** What registerHeapwatchMetrics() returns. */
export interface HeapwatchMetrics {
  /** Removes heapwatch's metrics from the registry and its listeners from heapwatch. */
  stop(): void;
}

/** Every metric this entry registers, by name (the README's table lists them). */
export const METRIC_NAMES = [
  'heapwatch_heap_used_after_full_gc_bytes',
  'heapwatch_heap_estimated_base_bytes',
  'heapwatch_heap_usage_trend_ratio',
  'heapwatch_heap_size_limit_bytes',
  'heapwatch_gc_total',
  'heapwatch_gc_duration_seconds',
  'heapwatch_leaks_total',
  'heapwatch_leak_growth_bytes',
  'heapwatch_snapshots_total',
  'heapwatch_snapshot_duration_seconds',
  'heapwatch_snapshot_size_bytes',
  'heapwatch_heap_limit_reached_total',
] as const;

const OWN_LABELS = ['thread_id', 'type', 'trigger', 'result', 'code'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function validate(options: unknown): Required<PrometheusMetricsOptions> {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArg('options', 'an object', options);
  }
  const {
    register = client.register,
    labels = {},
    gcDurationBuckets = GC_DURATION_BUCKETS,
    ...rest
  } = options as Record<string, any>;
  rejectUnknownOptions(rest, options, 'register, labels or gcDurationBuckets');
  if (
    typeof register !== 'object' ||
    register === null ||
    typeof register.registerMetric !== 'function' ||
    typeof register.getSingleMetric !== 'function'
  ) {
    throw invalidArg('options.register', 'a prom-client Registry', register);
  }
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw invalidArg('options.labels', 'an object of label names and values', labels);
  }
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || OWN_LABELS.includes(name)) {
      throw invalidArg(
        `options.labels`,
        `label names matching ${LABEL_NAME} other than ${OWN_LABELS.join(', ')}`,
        labels,
        `\`${name}\` is not one`,
      );
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw invalidArg(`options.labels.${name}`, 'a string or a number', value);
    }
  }
  if (!isBucketList(gcDurationBuckets)) {
    throw invalidArg(
      'options.gcDurationBuckets',
      'a non-empty array of increasing finite numbers (seconds)',
      gcDurationBuckets,
    );
  }
  return { register, labels, gcDurationBuckets };
}

/**
 * Registers heapwatch's metrics on a prom-client registry: the heap after the last full GC and
 * its trend, GCs by type and their pauses, leaks, snapshots and near-heap-limit events. The
 * metrics carry this thread's id (`thread_id`, 0 in the main thread). Nothing is hooked before
 * this call; stop() unhooks.
 * @example
 *   const client = require('prom-client');
 *   const { registerHeapwatchMetrics } = require('heapwatch/prometheus');
 *   client.collectDefaultMetrics();
 *   registerHeapwatchMetrics(); // on client.register, beside the default metrics
 */
export function registerHeapwatchMetrics(options?: PrometheusMetricsOptions): HeapwatchMetrics {
  const { register, labels, gcDurationBuckets } = validate(options);
  const taken = METRIC_NAMES.filter((name) => register.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw invalidArg(
      'options.register',
      'a registry without heapwatch metrics',
      register,
      `${taken[0]} is registered there already (call stop() on the earlier registration first)`,
    );
  }
  const base = { thread_id: THREAD_ID, ...labels };
  const names = Object.keys(base);
  const registers = [register];
  let readings: Readings | undefined;

  // Gauges read the last 'stats' at collection time; before the first full GC there is none.
  const fromStats = (
    name: string,
    help: string,
    read: (stats: heapwatch.StatsInformation) => number,
    aggregator: client.Aggregator,
  ) =>
    new client.Gauge({
      name,
      help,
      labelNames: names,
      registers,
      aggregator,
      collect() {
        const stats = readings?.stats;
        if (stats !== undefined) this.set(base, read(stats));
      },
    });
  fromStats(
    'heapwatch_heap_used_after_full_gc_bytes',
    'V8 heap in use right after the last full (mark-sweep-compact) GC: what the program keeps.',
    (s) => s.current_base,
    'sum',
  );
  fromStats(
    'heapwatch_heap_estimated_base_bytes',
    "memwatch's estimated base: moving average of the heap after the last ~10 full GCs.",
    (s) => s.estimated_base,
    'sum',
  );
  fromStats(
    'heapwatch_heap_usage_trend_ratio',
    "memwatch's usage trend as a ratio: how far the recent average of the heap after full GCs is above the long-run one (negative: below).",
    (s) => s.usage_trend / 100,
    'max',
  );
  fromStats(
    'heapwatch_heap_size_limit_bytes',
    "V8's heap size limit: the heap at which the process runs out of memory.",
    (s) => s.heap_size_limit,
    'sum',
  );

  // Counters are read from the readings at collection time too: a GC only adds 1 to a number.
  const gcLabels = [...names, 'type'];
  new client.Counter({
    name: 'heapwatch_gc_total',
    help: 'GCs since heapwatch metrics were registered, by type (mark-sweep-compact is a full GC).',
    labelNames: gcLabels,
    registers,
    collect() {
      this.reset();
      for (const [type, count] of readings?.gcs ?? []) this.inc({ ...base, type }, count);
    },
  });
  const gcDuration = new client.Histogram({
    name: 'heapwatch_gc_duration_seconds',
    help: 'GC pauses by type.',
    labelNames: gcLabels,
    buckets: gcDurationBuckets,
    registers,
  });
  new client.Counter({
    name: 'heapwatch_leaks_total',
    help: "heapwatch 'leak' events: runs of full GCs that each ended with a larger heap.",
    labelNames: names,
    registers,
    collect() {
      this.reset();
      this.inc(base, readings?.leaks ?? 0);
    },
  });
  new client.Gauge({
    name: 'heapwatch_leak_growth_bytes',
    help: 'Heap growth over the last leak run heapwatch reported.',
    labelNames: names,
    registers,
    aggregator: 'max',
    collect() {
      if (readings?.leakGrowth !== undefined) this.set(base, readings.leakGrowth);
    },
  });
  const snapshotLabels = [...names, 'trigger', 'result', 'code'];
  new client.Counter({
    name: 'heapwatch_snapshots_total',
    help: 'Heap snapshots by trigger (api, signal, leak, heap-limit) and result (written, failed, disk_guard, memory_check; code: the error code).',
    labelNames: snapshotLabels,
    registers,
    collect() {
      this.reset();
      for (const { trigger, result, code, count } of readings?.snapshots.values() ?? []) {
        this.inc(
          code === undefined ? { ...base, trigger, result } : { ...base, trigger, result, code },
          count,
        );
      }
    },
  });
  const snapshotDuration = new client.Histogram({
    name: 'heapwatch_snapshot_duration_seconds',
    help: 'Time to take and write a heap snapshot (the thread is paused meanwhile), by trigger.',
    labelNames: [...names, 'trigger'],
    buckets: SNAPSHOT_DURATION_BUCKETS,
    registers,
  });
  const snapshotSize = new client.Histogram({
    name: 'heapwatch_snapshot_size_bytes',
    help: 'Size of the heap snapshot files written, by trigger.',
    labelNames: [...names, 'trigger'],
    buckets: SNAPSHOT_SIZE_BUCKETS,
    registers,
  });
  new client.Counter({
    name: 'heapwatch_heap_limit_reached_total',
    help: 'Times V8 neared its heap limit and called heapwatch (with heapLimit / oom configured), snapshot written or not.',
    labelNames: names,
    registers,
    collect() {
      this.reset();
      this.inc(base, readings?.heapLimit ?? 0);
    },
  });

  // One labels object per GC type, made once: the 'gc' listener runs after every GC.
  const byType = new Map<GcType, Record<string, string | number>>();
  const sinks: EventSinks = {
    gc(type, seconds) {
      let l = byType.get(type);
      if (l === undefined) {
        l = { ...base, type };
        byType.set(type, l);
      }
      gcDuration.observe(l, seconds);
    },
    snapshot({ trigger, seconds, bytes }) {
      if (seconds === undefined || bytes === undefined) return;
      snapshotDuration.observe({ ...base, trigger }, seconds);
      snapshotSize.observe({ ...base, trigger }, bytes);
    },
  };
  const watch = watchHeapwatch(heapwatch, sinks);
  readings = watch.readings;
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      watch.stop();
      for (const name of METRIC_NAMES) register.removeSingleMetric(name);
    },
  };
}
