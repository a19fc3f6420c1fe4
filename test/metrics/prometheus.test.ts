// Issue 19: heapwatch/prometheus against the real prom-client, served over HTTP on 127.0.0.1 and
// scraped, in child processes that leak, get a signal, run out of (faked) disk and near their
// heap limit. The README's metric table and alert rules are checked against the scrape.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, start, tempDir } from '../helpers.js';
import {
  checkHistogram,
  checkNaming,
  checkPromQL,
  fetchText,
  parseExposition,
  readmeExpressions,
  sampleValue,
} from './helpers.js';

// The contract, written out here rather than read from src/.
const FAMILIES: Record<string, string> = {
  heapwatch_heap_used_after_full_gc_bytes: 'gauge',
  heapwatch_heap_estimated_base_bytes: 'gauge',
  heapwatch_heap_usage_trend_ratio: 'gauge',
  heapwatch_heap_size_limit_bytes: 'gauge',
  heapwatch_gc_total: 'counter',
  heapwatch_gc_duration_seconds: 'histogram',
  heapwatch_leaks_total: 'counter',
  heapwatch_leak_growth_bytes: 'gauge',
  heapwatch_snapshots_total: 'counter',
  heapwatch_snapshot_duration_seconds: 'histogram',
  heapwatch_snapshot_size_bytes: 'histogram',
  heapwatch_heap_limit_reached_total: 'counter',
};
const T = { thread_id: '0' };

function child(dir: string, options: string, nodeArgs: string[] = []) {
  return start('metrics-child.cjs', {
    testAddon: true,
    cwd: dir,
    args: ['prometheus'],
    nodeArgs: ['--expose-gc', ...nodeArgs],
    env: { NODE_HEAPDUMP_OPTIONS: options },
    timeoutMs: 90_000,
  });
}

describe('heapwatch/prometheus, scraped over HTTP', () => {
  it('a planted leak, a signal snapshot, disk-guard refusals and a failed write, beside the default metrics', async () => {
    const dir = tempDir();
    const c = child(dir, `dir=${dir},leak,leakgcs=3,leakmingrowth=262144,leakminduration=1000`);
    const { port } = await c.next('ready');
    const scrape = async () => parseExposition(await fetchText(`http://127.0.0.1:${port}/metrics`));

    // Before anything happened: every family, named by the conventions, beside prom-client's own
    // (parseExposition throws on a family declared twice).
    let m = await scrape();
    for (const [name, type] of Object.entries(FAMILIES)) {
      expect(m.get(name)?.type, name).toBe(type);
      checkNaming(m.get(name)!);
    }
    for (const name of [
      'nodejs_gc_duration_seconds',
      'nodejs_heap_size_used_bytes',
      'process_cpu_seconds_total',
    ]) {
      expect(m.has(name), name).toBe(true);
    }
    expect([...m.keys()].filter((n) => n.startsWith('heapwatch_')).sort()).toEqual(
      Object.keys(FAMILIES).sort(),
    );
    expect(sampleValue(m, 'heapwatch_leaks_total', T)).toBe(0);
    expect(sampleValue(m, 'heapwatch_heap_limit_reached_total', T)).toBe(0);

    // A planted leak: full GCs that each keep more. heapwatch's 'leak' fires, `leak` in the
    // options writes a snapshot, the trend turns positive.
    c.send('leak');
    const leaked = await c.next('leaked', 40_000);
    const leakSnapshot = await c.next('snapshot', 20_000);
    expect(leakSnapshot.trigger).toBe('leak');
    m = await scrape();
    const leaks = c.lines('leak');
    expect(leaks.length).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'heapwatch_leaks_total', T)).toBe(leaks.length);
    expect(sampleValue(m, 'heapwatch_leak_growth_bytes', T)).toBe(leaks.at(-1).growth);
    expect(leaks.at(-1).growth).toBeGreaterThan(262144);
    expect(sampleValue(m, 'heapwatch_heap_usage_trend_ratio', T)).toBeGreaterThan(0);
    expect(leaked.trend).toBeGreaterThan(0);
    expect(sampleValue(m, 'heapwatch_heap_used_after_full_gc_bytes', T)).toBeGreaterThan(1024 * 1024);
    expect(sampleValue(m, 'heapwatch_heap_estimated_base_bytes', T)).toBeGreaterThan(1024 * 1024);
    expect(sampleValue(m, 'heapwatch_heap_size_limit_bytes', T)).toBeGreaterThan(16 * 1024 * 1024);
    const fullGcs = sampleValue(m, 'heapwatch_gc_total', { ...T, type: 'mark-sweep-compact' })!;
    expect(fullGcs).toBeGreaterThanOrEqual(10);
    const gcSeries = checkHistogram(m.get('heapwatch_gc_duration_seconds')!);
    for (const s of gcSeries) {
      expect(s.labels.thread_id).toBe('0');
      expect(s.count, s.labels.type).toBe(sampleValue(m, 'heapwatch_gc_total', s.labels));
    }
    expect(gcSeries.find((s) => s.labels.type === 'mark-sweep-compact')!.sum).toBeGreaterThan(0);
    expect(sampleValue(m, 'heapwatch_snapshots_total', { ...T, trigger: 'leak', result: 'written' })).toBe(1);
    expect(sampleValue(m, 'heapwatch_snapshot_size_bytes', { ...T, trigger: 'leak' }, '_sum')).toBe(
      leakSnapshot.bytes,
    );

    // A signal snapshot.
    c.signal('SIGUSR2');
    const signalled = await c.next('snapshot');
    expect(signalled).toMatchObject({ trigger: 'signal', bytes: expect.any(Number) });
    m = await scrape();
    expect(sampleValue(m, 'heapwatch_snapshots_total', { ...T, trigger: 'signal', result: 'written' })).toBe(
      1,
    );
    expect(sampleValue(m, 'heapwatch_snapshot_size_bytes', { ...T, trigger: 'signal' }, '_sum')).toBe(
      signalled.bytes,
    );
    expect(
      sampleValue(m, 'heapwatch_snapshot_duration_seconds', { ...T, trigger: 'signal' }, '_sum'),
    ).toBeCloseTo(signalled.durationMs / 1000, 9);
    for (const name of ['heapwatch_snapshot_duration_seconds', 'heapwatch_snapshot_size_bytes']) {
      expect(checkHistogram(m.get(name)!).map((s) => [s.labels.trigger, s.count])).toEqual([
        ['leak', 1],
        ['signal', 1],
      ]);
    }

    // The disk guard refuses a signal snapshot and an API one; a write to a missing directory
    // fails. Refusals and failures are counted, and add nothing to the size and duration.
    c.send('fakefree 524288');
    await c.next('fakefree');
    c.signal('SIGUSR2');
    expect((await c.next('snapshot')).error.code).toBe('ENOSPC');
    c.send('api');
    expect(await c.next('api')).toEqual({ code: 'ENOSPC' });
    c.send(`write ${join(dir, 'missing', 'x.heapsnapshot')}`);
    expect(await c.next('write')).toEqual({ code: 'ENOENT' });
    c.send('fakefree -1');
    await c.next('fakefree');
    c.send('api');
    const api = await c.next('api');
    m = await scrape();
    const snapshots = (labels: Record<string, string>) =>
      sampleValue(m, 'heapwatch_snapshots_total', { ...T, ...labels });
    expect(snapshots({ trigger: 'signal', result: 'disk_guard', code: 'ENOSPC' })).toBe(1);
    expect(snapshots({ trigger: 'api', result: 'disk_guard', code: 'ENOSPC' })).toBe(1);
    expect(snapshots({ trigger: 'api', result: 'failed', code: 'ENOENT' })).toBe(1);
    expect(snapshots({ trigger: 'api', result: 'written' })).toBe(1);
    expect(sampleValue(m, 'heapwatch_snapshot_size_bytes', { ...T, trigger: 'api' }, '_sum')).toBe(api.bytes);
    expect(sampleValue(m, 'heapwatch_snapshot_duration_seconds', { ...T, trigger: 'signal' }, '_count')).toBe(
      1,
    );
    const snapshotLines = m.get('heapwatch_snapshots_total')!.samples;
    expect(snapshotLines).toHaveLength(6);
    for (const family of [...m.values()].filter((f) => f.name.startsWith('heapwatch_'))) {
      for (const s of family.samples) expect(s.labels.thread_id, s.name).toBe('0');
    }

    // The README: its table lists exactly these metrics, and its alert rules parse and use them
    // with the right functions.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const tabled = [...readme.matchAll(/^\| `(heapwatch_[a-z_]+)` \| (\w+) \|/gm)].map((r) => [r[1], r[2]]);
    expect(Object.fromEntries(tabled)).toEqual(FAMILIES);
    const exprs = readmeExpressions();
    const prometheusRules = exprs.filter((e) => !e.includes('heapwatch_heap_used_after_full_gc['));
    expect(prometheusRules.length).toBeGreaterThanOrEqual(3);
    const used = prometheusRules.flatMap((e) => checkPromQL(e, m));
    expect(used).toEqual(
      expect.arrayContaining(['heapwatch_heap_used_after_full_gc_bytes', 'heapwatch_leaks_total']),
    );
    c.send('exit');
    expect((await c.exited).code).toBe(0);
  }, 90_000);

  it('near the heap limit: the event and its snapshot are counted once the process recovers', async () => {
    const dir = tempDir();
    const c = child(dir, `nosignal,oom,dir=${dir}`, ['--max-old-space-size=24']);
    const { port } = await c.next('ready');
    c.send('grow');
    await c.next('grown', 30_000);
    const e = await c.next('snapshot', 30_000);
    expect(e.trigger).toBe('heap-limit');
    const m = parseExposition(await fetchText(`http://127.0.0.1:${port}/metrics`));
    expect(sampleValue(m, 'heapwatch_heap_limit_reached_total', T)).toBe(1);
    expect(
      sampleValue(m, 'heapwatch_snapshots_total', { ...T, trigger: 'heap-limit', result: 'written' }),
    ).toBe(1);
    expect(sampleValue(m, 'heapwatch_snapshot_size_bytes', { ...T, trigger: 'heap-limit' }, '_sum')).toBe(
      e.bytes,
    );
    c.send('exit');
    expect((await c.exited).code).toBe(0);
  }, 60_000);
});
