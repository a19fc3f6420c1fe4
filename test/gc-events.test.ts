// 'gc' and 'stats' events: the wiring over a fake binding (interest, order, listener removal,
// decoding at the addon's record layout), then the real GC monitor in child processes.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Binding } from '../src/binding.js';
import { GcEvents } from '../src/gc-events.js';
import { MEMWATCH_LEAK } from '../src/leak-rule.js';
import { MEMWATCH_STATS_KEYS, ROOT, result, testBinding } from './helpers.js';

// The addon's own layout: the test builds records the way native/gc_monitor.h lays them out.
const layout = testBinding().facts().gc;
const { fields: F } = layout;

function fake() {
  const calls: Array<[boolean, boolean]> = [];
  const binding = {
    gcSetInterest: (full: boolean, every: boolean) => {
      calls.push([full, every]);
      return full || every;
    },
    gcProbe: () => {},
  } as unknown as Binding;
  const emitter = new EventEmitter();
  const events = new GcEvents(emitter, binding, layout, () => ({ ...MEMWATCH_LEAK }));
  return { emitter, events, calls };
}

// One record as native/gc_monitor.h lays it out.
function record(
  kind: number,
  fullTotal: number,
  incTotal: number,
  used: number,
  opts: { own?: 0 | 1 | 2; flags?: number } = {},
) {
  const r = new Array(layout.stride).fill(0);
  const heap = (at: number, name: string, value: number) => {
    r[at + layout.heap.indexOf(name)] = value;
  };
  r[F.kind] = kind;
  r[F.flags] = opts.flags ?? 0;
  r[F.own] = opts.own ?? 0;
  r[F.fullTotal] = fullTotal;
  r[F.incTotal] = incTotal;
  r[F.startTime] = 1_700_000_000_000 + fullTotal * 1000 + incTotal;
  r[F.durationMs] = 1.5;
  heap(F.before, 'used_heap_size', used - 1000);
  heap(F.after, 'used_heap_size', used);
  heap(F.after, 'total_heap_size', used * 2);
  heap(F.after, 'heap_size_limit', 4e9);
  heap(F.after, 'external_memory', 1000);
  // What the addon's FoldStats wrote (here: recognisable numbers).
  r[F.estimatedBase] = used + 0.5;
  r[F.usageTrend] = -1.5;
  r[F.min] = used - 1;
  r[F.max] = used + 1;
  return r;
}
const batch = (...records: number[][]) => Float64Array.from(records.flat());

describe('GC event wiring', () => {
  it('asks for hooks with the first listener and drops them with the last', () => {
    const { emitter, calls } = fake();
    const a = () => {};
    const b = () => {};
    emitter.on('stats', a);
    emitter.on('leak', b);
    emitter.on('gc', a);
    emitter.off('gc', a);
    emitter.off('stats', a);
    emitter.off('leak', b);
    expect(calls).toEqual([
      [true, false],
      [true, true],
      [true, false],
      [false, false],
    ]);
  });

  it('keeps tracking listeners after removeAllListeners()', () => {
    const { emitter, calls } = fake();
    emitter.on('stats', () => {});
    emitter.removeAllListeners();
    emitter.on('gc', () => {});
    emitter.removeAllListeners('gc');
    expect(calls).toEqual([
      [true, false],
      [false, false],
      [false, true],
      [false, false],
    ]);
  });

  it("emits 'gc' for every record, then 'leak' before that GC's 'stats'", () => {
    const { emitter, events } = fake();
    const seen: string[] = [];
    emitter.on('gc', (e) => seen.push(`gc:${e.type}`));
    emitter.on('leak', () => seen.push('leak'));
    emitter.on('stats', (s) => seen.push(`stats:${s.num_full_gc}`));
    const records = [record(2, 1, 0, 100)];
    for (let i = 2; i <= 6; i++) records.push(record(0, i - 1, i - 1, 1), record(2, i, i - 1, 100_000 * i));
    events.onRecords(batch(...records));
    expect(seen.slice(-4)).toEqual(['gc:scavenge', 'gc:mark-sweep-compact', 'leak', 'stats:6']);
    expect(seen.filter((s) => s === 'leak')).toHaveLength(1);
    expect(seen.filter((s) => s.startsWith('stats'))).toHaveLength(6);
  });

  it("builds 'stats' from a full GC's record: memwatch's eight keys first, in order, then the extras", () => {
    const { emitter, events } = fake();
    const got: object[] = [];
    emitter.on('stats', (s) => got.push(s));
    events.onRecords(batch(record(0, 0, 1, 5000), record(2, 3, 7, 9000)));
    expect(got).toHaveLength(1);
    expect(Object.keys(got[0] as object)).toEqual([
      ...MEMWATCH_STATS_KEYS,
      'pause_ms',
      'total_heap_size',
      'heap_size_limit',
      'external_memory',
    ]);
    expect(got[0]).toEqual({
      num_full_gc: 3,
      num_inc_gc: 7,
      heap_compactions: 3,
      usage_trend: -1.5,
      estimated_base: 9000.5,
      current_base: 9000,
      min: 8999,
      max: 9001,
      pause_ms: 1.5,
      total_heap_size: 18000,
      heap_size_limit: 4e9,
      external_memory: 1000,
    });
  });

  it("runs the leak rule only while 'leak' has a listener, from a fresh start each time", () => {
    const { emitter, events } = fake();
    emitter.on('stats', () => {});
    const growing = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => record(2, from + i, 0, 100_000 * (from + i)));
    events.onRecords(batch(...growing(1, 5)));
    const leaks: unknown[] = [];
    const onLeak = (l: unknown) => leaks.push(l);
    emitter.on('leak', onLeak);
    // GC 6 is the first the rule sees: the baseline. 7..10 grow: four, not five.
    events.onRecords(batch(...growing(6, 5)));
    expect(leaks).toHaveLength(0);
    events.onRecords(batch(...growing(11, 1)));
    expect(leaks).toHaveLength(1);
    emitter.off('leak', onLeak);
    events.onRecords(batch(...growing(12, 10)));
    expect(leaks).toHaveLength(1);
    // Back again: a fresh start, so GC 22 is a baseline and five more growing GCs are needed.
    emitter.on('leak', onLeak);
    events.onRecords(batch(...growing(22, 5)));
    expect(leaks).toHaveLength(1);
    events.onRecords(batch(...growing(27, 1)));
    expect(leaks).toHaveLength(2);
  });

  it("does not count GCs of heapwatch's own snapshots, but reports them as 'gc' events", () => {
    const { emitter, events } = fake();
    const stats: number[] = [];
    const gcs: boolean[] = [];
    emitter.on('stats', (s) => stats.push(s.num_full_gc));
    emitter.on('gc', (e) => gcs.push(e.ownSnapshot));
    events.onRecords(batch(record(2, 1, 0, 100), record(2, 1, 0, 100, { own: 1 }), record(2, 2, 0, 100)));
    expect(stats).toEqual([1, 2]);
    expect(gcs).toEqual([false, true, false]);
  });

  it("decodes 'gc' events: names, flags, times and heap statistics", () => {
    const { emitter, events } = fake();
    const got: unknown[] = [];
    emitter.on('gc', (e) => got.push(e));
    events.onRecords(batch(record(0, 0, 1, 5000, { flags: 2 })));
    expect(got[0]).toMatchObject({
      type: 'scavenge',
      flags: ['forced'],
      startTime: 1_700_000_000_001,
      durationMs: 1.5,
      ownSnapshot: false,
      dropped: 0,
      before: { used_heap_size: 4000 },
      after: { used_heap_size: 5000 },
    });
  });

  it("counts a gc() call once: the earlier GCs of the call (own 2) are only 'gc' events", () => {
    const { emitter, events } = fake();
    const stats: number[] = [];
    const gcs: string[] = [];
    emitter.on('stats', (s) => stats.push(s.current_base));
    emitter.on('gc', (e) => gcs.push(e.type));
    events.onRecords(
      batch(record(2, 1, 0, 500, { own: 2 }), record(2, 1, 0, 400, { own: 2 }), record(2, 1, 0, 400)),
    );
    expect(stats).toEqual([400]);
    expect(gcs).toEqual(['mark-sweep-compact', 'mark-sweep-compact', 'mark-sweep-compact']);
  });
});

const json = (script: string, nodeArgs: string[] = [], timeoutMs = 40_000) =>
  result(script, { cwd: ROOT, nodeArgs, timeoutMs });

describe('GC monitor (child processes)', () => {
  it("has memwatch's shape; gc() returns undefined and 'stats' follows after it returns", async () => {
    const out = await json('gc-exports.cjs');
    expect(out.shape).toEqual({
      instanceOfEmitter: true,
      ownGc: true,
      ownOn: true,
      ownOnce: true,
      ownRemoveAll: true,
    });
    expect(out.afterReturn).toBe(true);
    expect(out.detached).toBe(true);
    expect(out.gcResult).toBeUndefined();
    expect(out.keys.slice(0, 8)).toEqual(MEMWATCH_STATS_KEYS);
    expect(out.keys).toEqual(
      expect.arrayContaining(['pause_ms', 'total_heap_size', 'heap_size_limit', 'external_memory']),
    );
    expect(out.stats.num_full_gc).toBe(out.stats.heap_compactions);
    expect(out.stats.num_full_gc).toBeGreaterThanOrEqual(1);
    expect(out.stats.current_base).toBeGreaterThan(0);
    expect(out.stats.heap_size_limit).toBeGreaterThan(out.stats.current_base);
  });

  it("delivers every one of thousands of scavenges as a 'gc' event, named and in order", async () => {
    const out = await json('gc-scavenges.cjs', ['--max-semi-space-size=1']);
    expect(out.types.scavenge).toBeGreaterThan(1000);
    expect(out.types.scavenge).toBe(out.perfMinor);
    expect(out.ordered).toBe(true);
    expect(out.dropped).toBe(0);
    for (const type of Object.keys(out.types)) {
      expect([
        'scavenge',
        'minor-mark-sweep',
        'mark-sweep-compact',
        'incremental-marking',
        'weak-callbacks',
      ]).toContain(type);
    }
    expect(out.sample.before).toEqual([
      'used_heap_size',
      'total_heap_size',
      'heap_size_limit',
      'external_memory',
      'total_physical_size',
      'malloced_memory',
    ]);
  });

  it("counts every scavenge in 'stats' with and without a 'gc' listener (the hooks change with it)", async () => {
    const phases = await json('gc-counts.cjs', ['--max-semi-space-size=1']);
    expect(phases.map((p: { withGc: boolean }) => p.withGc)).toEqual([false, true, false]);
    for (const p of phases) {
      expect(p.minor).toBeGreaterThan(100);
      // The windows differ by a GC or two: perf_hooks' count starts a turn after the full GC.
      expect(Math.abs(p.inc - p.minor), JSON.stringify(p)).toBeLessThanOrEqual(3);
      expect(p.full).toBeGreaterThanOrEqual(1);
      if (p.withGc) expect(Math.abs(p.gcEvents - p.inc), JSON.stringify(p)).toBeLessThanOrEqual(3);
      else expect(p.gcEvents).toBe(0);
    }
  });

  it('removes the hooks with the last listener: no events after, and the process exits by itself', async () => {
    const out = await json('gc-unhook.cjs');
    expect(out.before).toBeGreaterThan(0);
    expect(out.after).toBe(out.before);
    // gc() runs several full GCs ('gc' events), counted once ('stats').
    expect(out.log[0]).toBe('gc:mark-sweep-compact');
    expect(out.log.filter((l: string) => l.startsWith('stats'))).toEqual(['stats:1']);
  });

  it("keeps each worker's heap and GCs to its own listeners", async () => {
    const out = await json('gc-workers.cjs');
    expect(out.worker.kept).toBe(40_000);
    expect(out.worker.heap).toBeGreaterThan(30e6);
    expect(out.main.heap).toBeLessThan(out.worker.heap / 3);
    expect(out.worker.gcs).toBeGreaterThan(out.main.gcs);
    expect(out.main.stats).toBeGreaterThanOrEqual(1);
  });

  it('survives 8 s of listening workers created and terminated at random, and exits 0', async () => {
    const out = await json('gc-worker-churn.cjs', [], 60_000);
    expect(out.started).toBeGreaterThan(8);
    expect(out.mainStats).toBeGreaterThan(0);
    expect(out.workerStats).toBeGreaterThan(0);
  });
});
