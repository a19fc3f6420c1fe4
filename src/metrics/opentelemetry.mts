// ESM entry of heapwatch/opentelemetry, over its CommonJS build (as src/index.mts is over
// index.cjs): one copy of the code and one heapwatch per process.
import { createRequire } from 'node:module';
import type * as OpenTelemetry from './opentelemetry.js';

const opentelemetry = createRequire(import.meta.url)('./opentelemetry.cjs') as typeof OpenTelemetry;

export const registerHeapwatchMetrics = opentelemetry.registerHeapwatchMetrics;
export const METRIC_NAMES = opentelemetry.METRIC_NAMES;
export type { HeapwatchMetrics, OpenTelemetryMetricsOptions } from './opentelemetry.js';
