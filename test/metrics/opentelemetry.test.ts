// Issue 19: heapwatch/opentelemetry against the real SDK: a MeterProvider from
// @opentelemetry/sdk-metrics with a metric reader, @opentelemetry/instrumentation-runtime-node
// beside it, and @opentelemetry/exporter-prometheus scraped over 127.0.0.1, in a child process
// that leaks, gets a signal and runs out of (faked) disk.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { start, tempDir } from '../helpers.js';
import { checkPromQL, fetchText, parseExposition, readmeExpressions } from './helpers.js';

// The contract, written out here rather than read from src/: name -> [instrument, unit].
const INSTRUMENTS: Record<string, [string, string]> = {
  'heapwatch.heap.used_after_full_gc': ['OBSERVABLE_GAUGE', 'By'],
  'heapwatch.heap.estimated_base': ['OBSERVABLE_GAUGE', 'By'],
  'heapwatch.heap.usage_trend': ['OBSERVABLE_GAUGE', '1'],
  'heapwatch.heap.size_limit': ['OBSERVABLE_GAUGE', 'By'],
  'heapwatch.gc.collections': ['OBSERVABLE_COUNTER', '{collection}'],
  'heapwatch.gc.duration': ['HISTOGRAM', 's'],
  'heapwatch.leaks': ['OBSERVABLE_COUNTER', '{leak}'],
  'heapwatch.leak.growth': ['OBSERVABLE_GAUGE', 'By'],
  'heapwatch.snapshots': ['OBSERVABLE_COUNTER', '{snapshot}'],
  'heapwatch.snapshot.duration': ['HISTOGRAM', 's'],
  'heapwatch.snapshot.size': ['HISTOGRAM', 'By'],
  'heapwatch.heap.limit_reached': ['OBSERVABLE_COUNTER', '{event}'],
};

interface Point {
  attributes: Record<string, string | number>;
  value: any;
}
interface Collected {
  scope: string;
  name: string;
  unit: string;
  type: string;
  points: Point[];
}

describe('heapwatch/opentelemetry, collected by a MeterProvider', () => {
  it('a planted leak, a signal snapshot and disk-guard refusals as data points, beside the runtime instrumentation', async () => {
    const dir = tempDir();
    const c = start('metrics-child.cjs', {
      testAddon: true,
      cwd: dir,
      args: ['opentelemetry'],
      nodeArgs: ['--expose-gc'],
      env: { NODE_HEAPDUMP_OPTIONS: `dir=${dir},leak,leakgcs=3,leakmingrowth=262144,leakminduration=1000` },
      timeoutMs: 90_000,
    });
    const { port } = await c.next('ready');
    const collect = async () => {
      c.send('collect');
      const { errors, metrics } = (await c.next('collect')) as { errors: string[]; metrics: Collected[] };
      expect(errors).toEqual([]);
      const metric = (name: string) => metrics.find((x) => x.scope === 'heapwatch' && x.name === name)!;
      /** The value of the one data point of `name` whose attributes include `attributes`. */
      const value = (name: string, attributes: Record<string, string | number> = {}) => {
        const points = metric(name).points.filter((p) =>
          Object.entries({ 'thread.id': 0, ...attributes }).every(([k, v]) => p.attributes[k] === v),
        );
        expect(points.length, `${name} ${JSON.stringify(attributes)}`).toBeLessThanOrEqual(1);
        return points[0]?.value;
      };
      return { metrics, metric, value };
    };

    // The instruments, their kinds and units.
    let r = await collect();
    const kinds = (scope: string) =>
      Object.fromEntries(r.metrics.filter((x) => x.scope === scope).map((x) => [x.name, [x.type, x.unit]]));
    // Before the first full GC and the first leak, the gauges have no data point yet.
    expect(INSTRUMENTS).toMatchObject(kinds('heapwatch'));
    for (const name of ['heapwatch.leaks', 'heapwatch.heap.limit_reached']) {
      expect(kinds('heapwatch')[name], name).toEqual(INSTRUMENTS[name]);
    }
    expect(r.value('heapwatch.leaks')).toBe(0);

    // A planted leak.
    c.send('leak');
    await c.next('leaked', 40_000);
    const leakSnapshot = await c.next('snapshot', 20_000);
    expect(leakSnapshot.trigger).toBe('leak');
    r = await collect();
    expect(kinds('heapwatch')).toEqual(INSTRUMENTS);
    const runtime = r.metrics.filter((x) => x.scope === '@opentelemetry/instrumentation-runtime-node');
    expect(runtime.map((x) => x.name)).toEqual(
      expect.arrayContaining(['v8js.gc.duration', 'v8js.memory.heap.used']),
    );
    const names = r.metrics.map((x) => x.name);
    expect(new Set(names).size).toBe(names.length);
    for (const x of r.metrics.filter((m) => m.scope === 'heapwatch')) {
      for (const p of x.points) expect(p.attributes['thread.id'], x.name).toBe(0);
    }
    const leaks = c.lines('leak');
    expect(leaks.length).toBeGreaterThanOrEqual(1);
    expect(r.value('heapwatch.leaks')).toBe(leaks.length);
    expect(r.value('heapwatch.leak.growth')).toBe(leaks.at(-1).growth);
    expect(r.value('heapwatch.heap.usage_trend')).toBeGreaterThan(0);
    expect(r.value('heapwatch.heap.used_after_full_gc')).toBeGreaterThan(1024 * 1024);
    expect(r.value('heapwatch.heap.estimated_base')).toBeGreaterThan(1024 * 1024);
    expect(r.value('heapwatch.heap.size_limit')).toBeGreaterThan(16 * 1024 * 1024);
    const major = r.value('heapwatch.gc.collections', { 'v8js.gc.type': 'major' });
    expect(major).toBeGreaterThanOrEqual(10);
    for (const p of r.metric('heapwatch.gc.duration').points) {
      expect(['major', 'minor', 'incremental', 'weakcb']).toContain(p.attributes['v8js.gc.type']);
      const { buckets, count, sum } = p.value;
      expect(buckets.boundaries).toEqual([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
      ]);
      expect(buckets.counts).toHaveLength(buckets.boundaries.length + 1);
      expect(buckets.counts.reduce((a: number, b: number) => a + b, 0)).toBe(count);
      expect(count).toBe(r.value('heapwatch.gc.collections', p.attributes));
      expect(sum).toBeGreaterThan(0);
    }
    const snapshots = (attributes: Record<string, string>) => r.value('heapwatch.snapshots', attributes);
    expect(snapshots({ 'heapwatch.snapshot.trigger': 'leak', 'heapwatch.snapshot.result': 'written' })).toBe(
      1,
    );
    expect(r.value('heapwatch.snapshot.size', { 'heapwatch.snapshot.trigger': 'leak' }).sum).toBe(
      leakSnapshot.bytes,
    );

    // A signal snapshot, then the disk guard refuses one of each kind.
    c.signal('SIGUSR2');
    const signalled = await c.next('snapshot');
    expect(signalled.trigger).toBe('signal');
    c.send('fakefree 524288');
    await c.next('fakefree');
    c.signal('SIGUSR2');
    expect((await c.next('snapshot')).error.code).toBe('ENOSPC');
    c.send('api');
    expect(await c.next('api')).toEqual({ code: 'ENOSPC' });
    c.send(`write ${join(dir, 'missing', 'x.heapsnapshot')}`);
    expect(await c.next('write')).toEqual({ code: 'ENOENT' });
    r = await collect();
    const snapshot = (trigger: string, result: string, code?: string) =>
      r.value('heapwatch.snapshots', {
        'heapwatch.snapshot.trigger': trigger,
        'heapwatch.snapshot.result': result,
        ...(code ? { 'error.type': code } : {}),
      });
    expect(snapshot('signal', 'written')).toBe(1);
    expect(snapshot('signal', 'disk_guard', 'ENOSPC')).toBe(1);
    expect(snapshot('api', 'disk_guard', 'ENOSPC')).toBe(1);
    expect(snapshot('api', 'failed', 'ENOENT')).toBe(1);
    const signalDuration = r.value('heapwatch.snapshot.duration', { 'heapwatch.snapshot.trigger': 'signal' });
    expect(signalDuration.count).toBe(1);
    expect(signalDuration.sum).toBeCloseTo(signalled.durationMs / 1000, 9);
    expect(r.value('heapwatch.snapshot.size', { 'heapwatch.snapshot.trigger': 'signal' }).sum).toBe(
      signalled.bytes,
    );

    // Through @opentelemetry/exporter-prometheus: no family twice beside the runtime
    // instrumentation's, and the README's alert for this exporter's names uses real families.
    const m = parseExposition(await fetchText(`http://127.0.0.1:${port}/metrics`));
    expect(m.get('heapwatch_heap_used_after_full_gc')?.type).toBe('gauge');
    expect(m.get('v8js_gc_duration')?.type).toBe('histogram');
    const exporterRule = readmeExpressions().filter((e) => e.includes('heapwatch_heap_used_after_full_gc['));
    expect(exporterRule).toHaveLength(1);
    expect(checkPromQL(exporterRule[0]!, m).sort()).toEqual([
      'heapwatch_heap_usage_trend',
      'heapwatch_heap_used_after_full_gc',
    ]);
    c.send('exit');
    expect((await c.exited).code).toBe(0);
  }, 90_000);
});
