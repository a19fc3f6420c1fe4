// The event wiring over a fake binding: interest, order of 'leak' and 'stats', listener removal.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { attachGcEvents, type GcBinding, RECORD_STRIDE } from '../src/gc-events.js';
import { createLeakWatch } from '../src/leak-watch.js';
import { MEMWATCH_LEAK } from '../src/settings.js';
import { MEMWATCH_STATS_KEYS } from './helpers.js';

const TYPES = [
  'scavenge',
  'minor-mark-sweep',
  'mark-sweep-compact',
  'incremental-marking',
  'weak-callbacks',
  'unknown',
];
const FLAGS = ['construct-retained-object-infos', 'forced'];

function fake() {
  const calls: Array<[boolean, boolean]> = [];
  const binding: GcBinding = {
    gcSetInterest: (full, every) => {
      calls.push([full, every]);
      return full || every;
    },
    gcNames: () => ({ types: TYPES, flags: FLAGS }),
  };
  const probe = { gcProbe: () => {}, heapUsed: () => 1 << 20 };
  const emitter = new EventEmitter();
  let leakWatches = 0;
  const events = attachGcEvents(emitter, binding, () => {
    leakWatches++;
    return createLeakWatch(emitter, probe, () => ({ ...MEMWATCH_LEAK }));
  });
  return { emitter, events, calls, leakWatches: () => leakWatches };
}

// One record as native/gc_monitor.h lays it out.
function record(
  kind: number,
  fullTotal: number,
  incTotal: number,
  used: number,
  opts: { own?: boolean; flags?: number } = {},
) {
  const r = new Array(RECORD_STRIDE).fill(0);
  r[0] = kind;
  r[1] = opts.flags ?? 0;
  r[2] = opts.own ? 1 : 0;
  r[3] = fullTotal;
  r[4] = incTotal;
  r[5] = 1_700_000_000_000 + fullTotal * 1000 + incTotal;
  r[6] = 1.5;
  r[8] = used - 1000;
  r[14] = used;
  r[15] = used * 2;
  r[16] = 4e9;
  r[17] = 1000;
  // What the addon's FoldStats wrote (here: recognisable numbers).
  r[20] = used + 0.5;
  r[21] = -1.5;
  r[22] = used - 1;
  r[23] = used + 1;
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
    for (let i = 2; i <= 6; i++) records.push(record(0, i - 1, i - 1, 1), record(2, i, i - 1, 100 * i));
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
    const { emitter, events, leakWatches } = fake();
    emitter.on('stats', () => {});
    const growing = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => record(2, from + i, 0, 100 * (from + i)));
    events.onRecords(batch(...growing(1, 5)));
    expect(leakWatches()).toBe(0);
    const leaks: unknown[] = [];
    const onLeak = (l: unknown) => leaks.push(l);
    emitter.on('leak', onLeak);
    expect(leakWatches()).toBe(1);
    // GC 6 is the first the rule sees: the baseline. 7..10 grow: four, not five.
    events.onRecords(batch(...growing(6, 5)));
    expect(leaks).toHaveLength(0);
    events.onRecords(batch(...growing(11, 1)));
    expect(leaks).toHaveLength(1);
    emitter.off('leak', onLeak);
    events.onRecords(batch(...growing(12, 10)));
    expect(leaks).toHaveLength(1);
    emitter.on('leak', onLeak);
    expect(leakWatches()).toBe(2);
  });

  it("does not count GCs of heapwatch's own snapshots, but reports them as 'gc' events", () => {
    const { emitter, events } = fake();
    const stats: number[] = [];
    const gcs: boolean[] = [];
    emitter.on('stats', (s) => stats.push(s.num_full_gc));
    emitter.on('gc', (e) => gcs.push(e.ownSnapshot));
    events.onRecords(batch(record(2, 1, 0, 100), record(2, 1, 0, 100, { own: true }), record(2, 2, 0, 100)));
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
});
