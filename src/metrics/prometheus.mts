// ESM entry of heapwatch/prometheus, over its CommonJS build (as src/index.mts is over index.cjs):
// one copy of the code, one heapwatch and one prom-client per process.
import { createRequire } from 'node:module';
import type * as Prometheus from './prometheus.js';

const prometheus = createRequire(import.meta.url)('./prometheus.cjs') as typeof Prometheus;

export const registerHeapwatchMetrics = prometheus.registerHeapwatchMetrics;
export const METRIC_NAMES = prometheus.METRIC_NAMES;
export type { HeapwatchMetrics, PrometheusMetricsOptions } from './prometheus.js';
