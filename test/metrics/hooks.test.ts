// Issue 19: what the metrics entry points hook and load, when; the options they refuse; and the
// 'heapwatch:snapshot' diagnostics channel they count snapshots from.
import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { classifySnapshot, SNAPSHOT_CHANNEL } from '../../src/metrics/readings.js';
import { toSnapshotEvent } from '../../src/snapshot.js';
import { heapwatchWith, ROOT, tempDir, testBinding } from '../helpers.js';

/** Runs `body` in a fresh node with the built entries; returns what it printed as JSON. */
function inChild(body: string): any {
  const script = `
    const dist = ${JSON.stringify(join(ROOT, 'dist'))};
    const dc = require('node:diagnostics_channel');
    const hw = require(dist + '/index.cjs');
    const loaded = (name) => Object.keys(require.cache).some((f) => f.includes('/node_modules/' + name + '/'));
    const state = () => ({
      listeners: ['stats', 'gc', 'leak', 'snapshot'].map((e) => hw.listenerCount(e)),
      channel: dc.hasSubscribers('heapwatch:snapshot'),
      promClient: loaded('prom-client'),
      otelApi: loaded('@opentelemetry/api'),
    });
    (async () => { ${body} })().then((out) => console.log(JSON.stringify(out)));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 }));
}

const IDLE = { listeners: [0, 0, 0, 0], channel: false, promClient: false, otelApi: false };

describe('loading and registering', () => {
  it('prometheus: the entry loads prom-client and hooks nothing; registering hooks, stop() unhooks', () => {
    const out = inChild(`
      const out = { core: state() };
      const entry = require(dist + '/metrics/prometheus.cjs');
      out.entry = state();
      const client = require('prom-client');
      const register = new client.Registry();
      const metrics = entry.registerHeapwatchMetrics({ register });
      out.registered = state();
      out.names = register.getMetricsAsArray().map((m) => m.name).length;
      try { entry.registerHeapwatchMetrics({ register }); } catch (e) { out.twice = e.message; }
      out.afterTwice = state();
      metrics.stop();
      metrics.stop();
      out.stopped = state();
      out.namesAfter = register.getMetricsAsArray().length;
      out.esmSame = (await import(dist + '/metrics/prometheus.mjs')).registerHeapwatchMetrics === entry.registerHeapwatchMetrics;
      return out;
    `);
    expect(out.core).toEqual(IDLE);
    // prom-client 15 itself requires @opentelemetry/api (for exemplars): not counted here.
    expect({ ...out.entry, otelApi: false }).toEqual({ ...IDLE, promClient: true });
    expect(out.registered).toMatchObject({ listeners: [1, 1, 1, 0], channel: true, promClient: true });
    expect(out.names).toBe(12);
    expect(out.twice).toMatch(
      /^Expected a registry without heapwatch metrics for `options.register` but received an object \(Registry\): heapwatch_heap_used_after_full_gc_bytes is registered there already/,
    );
    expect(out.afterTwice.listeners).toEqual([1, 1, 1, 0]);
    expect(out.stopped).toMatchObject({ listeners: [0, 0, 0, 0], channel: false });
    expect(out.namesAfter).toBe(0);
    expect(out.esmSame).toBe(true);
  });

  it('opentelemetry: the entry loads @opentelemetry/api and hooks nothing; registering hooks, stop() unhooks', () => {
    const out = inChild(`
      const out = { core: state() };
      const entry = require(dist + '/metrics/opentelemetry.cjs');
      out.entry = state();
      const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
      class Reader extends MetricReader { async onShutdown() {} async onForceFlush() {} }
      const reader = new Reader();
      const metrics = entry.registerHeapwatchMetrics({ meterProvider: new MeterProvider({ readers: [reader] }) });
      out.registered = state();
      out.before = (await reader.collect()).resourceMetrics.scopeMetrics[0].metrics.map((m) => m.dataPoints.length).reduce((a, b) => a + b);
      const snapshots = async () => (await reader.collect()).resourceMetrics.scopeMetrics[0].metrics
        .find((m) => m.descriptor.name === 'heapwatch.snapshots')?.dataPoints.map((p) => p.value) ?? [];
      hw.writeSnapshot('/nonexistent/x.heapsnapshot');
      out.counted = await snapshots();
      metrics.stop();
      out.stopped = state();
      hw.writeSnapshot('/nonexistent/x.heapsnapshot');
      out.after = await snapshots();
      out.esmSame = (await import(dist + '/metrics/opentelemetry.mjs')).registerHeapwatchMetrics === entry.registerHeapwatchMetrics;
      return out;
    `);
    expect(out.core).toEqual(IDLE);
    expect(out.entry).toEqual({ ...IDLE, otelApi: true });
    expect(out.registered).toEqual({
      listeners: [1, 1, 1, 0],
      channel: true,
      promClient: false,
      otelApi: true,
    });
    expect(out.before).toBeGreaterThanOrEqual(2); // the counters observed 0 from the start
    expect(out.stopped).toEqual({ ...IDLE, otelApi: true });
    // The SDK keeps reporting the last values it collected (an instrument cannot be removed),
    // but nothing new reaches it.
    expect(out.counted).toEqual([1]);
    expect(out.after).toEqual([1]);
    expect(out.esmSame).toBe(true);
  });

  it('bad options are refused with one message shape, changing nothing', () => {
    const out = inChild(`
      const prom = require(dist + '/metrics/prometheus.cjs');
      const otel = require(dist + '/metrics/opentelemetry.cjs');
      const tries = {
        notObject: () => prom.registerHeapwatchMetrics(42),
        unknown: () => prom.registerHeapwatchMetrics({ registry: {} }),
        register: () => prom.registerHeapwatchMetrics({ register: {} }),
        label: () => prom.registerHeapwatchMetrics({ labels: { thread_id: '1' } }),
        labelValue: () => prom.registerHeapwatchMetrics({ labels: { worker: true } }),
        buckets: () => prom.registerHeapwatchMetrics({ gcDurationBuckets: [1, 0.5] }),
        both: () => otel.registerHeapwatchMetrics({ meter: {}, meterProvider: {} }),
        meter: () => otel.registerHeapwatchMetrics({ meter: { createHistogram: 1 } }),
        otelBuckets: () => otel.registerHeapwatchMetrics({ gcDurationBuckets: [] }),
      };
      const out = {};
      for (const [k, f] of Object.entries(tries)) {
        try { f(); out[k] = 'no error'; } catch (e) {
          out[k] = { message: e.message, code: e.code, heapwatch: e instanceof hw.HeapwatchError, type: e instanceof TypeError };
        }
      }
      out.state = state();
      return out;
    `);
    const { state, ...errors } = out;
    for (const e of Object.values(errors) as any[]) {
      expect(e).toMatchObject({ code: 'ERR_HEAPWATCH_INVALID_ARG', heapwatch: true, type: true });
      expect(e.message).toMatch(/^Expected .* for `options[.\w]*` but received /);
    }
    expect(errors.notObject.message).toBe('Expected an object for `options` but received 42 (number)');
    expect(errors.unknown.message).toMatch(/: unknown option `registry`$/);
    expect(errors.register.message).toBe(
      'Expected a prom-client Registry for `options.register` but received an object (Object)',
    );
    expect(errors.label.message).toMatch(/: `thread_id` is not one$/);
    expect(errors.labelValue.message).toBe(
      'Expected a string or a number for `options.labels.worker` but received true (boolean)',
    );
    expect(errors.buckets.message).toMatch(/^Expected a non-empty array of increasing finite numbers/);
    expect(errors.both.message).toMatch(/^Expected either `meter` or `meterProvider`, not both/);
    expect(errors.meter.message).toMatch(/^Expected an OpenTelemetry Meter for `options.meter`/);
    expect(errors.otelBuckets.message).toMatch(
      /for `options.gcDurationBuckets` but received an object \(array\)$/,
    );
    expect(state.listeners).toEqual([0, 0, 0, 0]);
    expect(state.channel).toBe(false);
  });
});

describe("the 'heapwatch:snapshot' channel", () => {
  function listen(): unknown[] {
    const messages: unknown[] = [];
    const onMessage = (m: unknown) => {
      messages.push(m);
    };
    subscribe(SNAPSHOT_CHANNEL, onMessage);
    onTestFinished(() => {
      unsubscribe(SNAPSHOT_CHANNEL, onMessage);
    });
    return messages;
  }

  it("publishes the API's snapshots, written or refused, that 'snapshot' does not emit", async () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir });
    const messages = listen();
    const emitted: unknown[] = [];
    hw.on('snapshot', (e: unknown) => emitted.push(e));
    const info = await hw.snapshot();
    testBinding().testFakeFreeSpace(dir, 0);
    onTestFinished(() => testBinding().testFakeFreeSpace(dir, -1));
    const refused = await hw.snapshot().catch((e: unknown) => e);
    expect(hw.writeSnapshot(`${dir}/x.heapsnapshot`)).toBe(false);
    expect(hw.writeSnapshot(join(dir, 'missing', 'x.heapsnapshot'))).toBe(false);
    testBinding().testFakeFreeSpace(dir, -1);
    expect(hw.writeSnapshot(join(dir, 'named.heapsnapshot'))).toBe(true);
    expect(emitted).toEqual([]);
    expect(messages[0]).toEqual(info);
    expect((messages[1] as any).error).toBe(refused);
    expect(messages.map((m) => classifySnapshot(m as any))).toEqual([
      {
        trigger: 'api',
        result: 'written',
        code: undefined,
        bytes: info.bytes,
        seconds: info.durationMs / 1000,
      },
      { trigger: 'api', result: 'disk_guard', code: 'ENOSPC' },
      { trigger: 'api', result: 'disk_guard', code: 'ENOSPC' },
      { trigger: 'api', result: 'failed', code: 'ENOENT' },
      expect.objectContaining({ trigger: 'api', result: 'written', bytes: expect.any(Number) }),
    ]);
  });

  it("publishes what the addon reports on its own (here a heap-limit memory check), as the 'snapshot' event has it", () => {
    const messages = listen();
    // The record native/heap_limit.cc delivers when the memory check refuses (ENOMEM, 'heap-limit').
    const event = toSnapshotEvent({
      trigger: 'heap-limit',
      path: '',
      bytes: 0,
      durationMs: 0,
      errno: 12,
      syscall: 'heap-limit',
      needed: 512 * 1024 * 1024,
      free: 24 * 1024 * 1024,
      detail: 'the snapshot would need about 512.0 MB of memory and only 24.0 MB are available',
      message:
        'could not write heap snapshot: ENOMEM (the snapshot would need about 512.0 MB of memory and only 24.0 MB are available)',
    });
    expect(messages).toEqual([event]);
    expect(classifySnapshot(event)).toEqual({
      trigger: 'heap-limit',
      result: 'memory_check',
      code: 'ENOMEM',
    });
  });
});
