// Issue 19: each environment's metrics carry its thread id; node:cluster workers add up through
// prom-client's AggregatorRegistry.
import { describe, expect, it } from 'vitest';
import { start, tempDir } from '../helpers.js';
import { checkHistogram, parseExposition, sampleValue } from './helpers.js';

const run = (args: string[], cwd: string) =>
  start('metrics-threads.cjs', { cwd, args, nodeArgs: ['--expose-gc'], timeoutMs: 60_000 });

describe('metrics in worker threads and cluster workers', () => {
  it("a worker thread's metrics carry its threadId, the main thread's 0, in both stacks", async () => {
    const c = run(['workers'], tempDir());
    const { text, worker, otel } = await c.next('result', 40_000);
    expect(worker).toBeGreaterThan(0);
    const m = parseExposition(text);
    const threads = (name: string) =>
      m
        .get(name)!
        .samples.map((s) => s.labels.thread_id)
        .sort();
    expect(threads('heapwatch_heap_used_after_full_gc_bytes')).toEqual(['0', String(worker)]);
    for (const t of ['0', String(worker)]) {
      expect(sampleValue(m, 'heapwatch_heap_used_after_full_gc_bytes', { thread_id: t })).toBeGreaterThan(0);
      expect(
        sampleValue(m, 'heapwatch_gc_total', { thread_id: t, type: 'mark-sweep-compact' }),
      ).toBeGreaterThanOrEqual(1);
      expect(sampleValue(m, 'heapwatch_leaks_total', { thread_id: t })).toBe(0);
    }
    expect(checkHistogram(m.get('heapwatch_gc_duration_seconds')!).map((s) => s.labels.thread_id)).toEqual(
      expect.arrayContaining(['0', String(worker)]),
    );
    const ids = (points: [string, number][]) => [...new Set(points.map(([, id]) => id))];
    expect(otel.main.length).toBeGreaterThan(4);
    expect(ids(otel.main)).toEqual([0]);
    expect(ids(otel.worker)).toEqual([worker]);
    expect((await c.exited).code).toBe(0);
  }, 60_000);

  it('node:cluster: AggregatorRegistry adds the workers up; labels keep them apart', async () => {
    const dir = tempDir();
    const plain = run(['cluster', 'plain', dir], dir);
    const labelled = run(['cluster', 'labelled', dir], dir);
    const [a, b] = await Promise.all([plain.next('cluster', 40_000), labelled.next('cluster', 40_000)]);

    // One series per label set: worker 1 wrote one snapshot, worker 2 two.
    let m = parseExposition(a.text);
    const written = { thread_id: '0', trigger: 'api', result: 'written' };
    expect(sampleValue(m, 'heapwatch_snapshots_total', written)).toBe(3);
    expect(sampleValue(m, 'heapwatch_snapshot_duration_seconds', { trigger: 'api' }, '_count')).toBe(3);
    expect(checkHistogram(m.get('heapwatch_snapshot_size_bytes')!)).toHaveLength(1);
    expect(sampleValue(m, 'heapwatch_heap_size_limit_bytes', { thread_id: '0' })).toBe(
      a.limits[0] + a.limits[1],
    );
    expect(sampleValue(m, 'heapwatch_leaks_total', { thread_id: '0' })).toBe(0);

    m = parseExposition(b.text);
    expect(sampleValue(m, 'heapwatch_snapshots_total', { ...written, worker: '1' })).toBe(1);
    expect(sampleValue(m, 'heapwatch_snapshots_total', { ...written, worker: '2' })).toBe(2);
    for (const w of ['1', '2']) {
      expect(sampleValue(m, 'heapwatch_heap_size_limit_bytes', { worker: w })).toBe(b.limits[0]);
      expect(sampleValue(m, 'heapwatch_heap_used_after_full_gc_bytes', { worker: w })).toBeGreaterThan(0);
    }
    expect((await plain.exited).code).toBe(0);
    expect((await labelled.exited).code).toBe(0);
  }, 60_000);
});
