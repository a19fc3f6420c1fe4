import { describe, expect, it } from 'vitest';
import {
  foldLeak,
  formatDuration,
  initialLeak,
  leakReason,
  probeDue,
  probeIntervalMs,
} from '../src/gc-stats.js';
import { loadBinding } from '../src/native.js';
import { type LeakSettings, MEMWATCH_LEAK } from '../src/settings.js';

interface Folded {
  estimated_base: number;
  usage_trend: number;
  min: number;
  max: number;
  current_base: number;
}

// The addon's FoldStats (the arithmetic behind 'stats') over synthetic full GCs n = 1, 2, ...
const binding = loadBinding().more();
function run(useds: number[]): Folded[] {
  const out = binding.testFoldStats(Float64Array.from(useds.flatMap((used, i) => [i + 1, used])));
  return useds.map((used, i) => ({
    estimated_base: out[4 * i] as number,
    usage_trend: out[4 * i + 1] as number,
    min: out[4 * i + 2] as number,
    max: out[4 * i + 3] as number,
    current_base: used,
  }));
}

describe('FoldStats (memwatch arithmetic, in the addon)', () => {
  it('keeps both averages at current_base for the first 9 GCs, then applies the two moving averages', () => {
    const useds = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 2000];
    const stats = run(useds);
    for (let i = 0; i < 9; i++) {
      expect(stats[i]?.estimated_base).toBe(useds[i]);
      expect(stats[i]?.usage_trend).toBe(0);
    }
    // 10th: recent = (900 * 9 + 1000) / 10 = 910; ancient = (900 * 9 + 1000) / 10 = 910 (d = 10).
    expect(stats[9]?.estimated_base).toBe(910);
    expect(stats[9]?.usage_trend).toBe(0);
    // 11th: recent = (910 * 9 + 2000) / 10 = 1019; ancient = (910 * 10 + 2000) / 11 = 1009.0909...
    expect(stats[10]?.estimated_base).toBeCloseTo(1019, 10);
    const ancient = (910 * 10 + 2000) / 11;
    expect(stats[10]?.usage_trend).toBe(Math.round(((1019 - ancient) / ancient) * 1000) / 10);
    expect(stats[10]?.usage_trend).toBe(1);
  });

  it('caps the long-run divisor at 120', () => {
    const stats = run(Array.from({ length: 200 }, () => 1000).concat([121_000]));
    // ancient = (1000 * 119 + 121000) / 120 = 2000; recent = (1000 * 9 + 121000) / 10 = 13000.
    const last = stats.at(-1) as Folded;
    expect(last.estimated_base).toBe(13000);
    expect(last.usage_trend).toBe(550);
  });

  it('gives a negative trend when the heap falls (memwatch printed +23658%)', () => {
    const stats = run([
      ...Array.from({ length: 20 }, () => 100e6),
      ...Array.from({ length: 10 }, () => 50e6),
    ]);
    const last = stats.at(-1) as Folded;
    expect(last.usage_trend).toBeLessThan(0);
    expect(last.usage_trend).toBe(Math.round(last.usage_trend * 10) / 10);
  });

  it('reports min and max from the 3rd full GC, 0 before', () => {
    const stats = run([5000, 100, 300, 200, 400]);
    expect(stats.map((s) => [s.min, s.max])).toEqual([
      [0, 0],
      [0, 0],
      [300, 300],
      [200, 300],
      [200, 400],
    ]);
  });

  it('is exact for heaps far above 4 GiB (no 32-bit truncation)', () => {
    const big = 6 * 2 ** 30 + 12345;
    const stats = run(Array.from({ length: 12 }, (_, i) => big + i));
    const last = stats.at(-1) as Folded;
    expect(last.current_base).toBe(big + 11);
    expect(last.estimated_base).toBeGreaterThan(big);
    expect(last.max).toBe(big + 11);
    expect(last.min).toBe(big + 2);
  });

  it('starts both averages at the first GC it folds, even when that is the 20th', () => {
    const out = binding.testFoldStats(Float64Array.from([20, 5000, 21, 6000]));
    expect(Array.from(out.subarray(0, 4))).toEqual([5000, 0, 5000, 5000]);
    // 21st: recent = (5000 * 9 + 6000) / 10 = 5100; ancient = (5000 * 20 + 6000) / 21.
    expect(out[4]).toBe(5100);
    const ancient = (5000 * 20 + 6000) / 21;
    expect(out[5]).toBe(Math.round(((5100 - ancient) / ancient) * 100 * 10) / 10);
  });

  it('matches a JavaScript model of the arithmetic over random heaps, rounding as Math.round', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const useds = Array.from({ length: 300 }, () => Math.floor(1e6 + random() * 1e9));
    let recent = 0;
    let ancient = 0;
    let min = 0;
    let max = 0;
    const model = useds.map((current, i) => {
      const n = i + 1;
      if (n <= 9) {
        recent = current;
        ancient = current;
      } else {
        const d = Math.min(120, n);
        recent = (recent * 9 + current) / 10;
        ancient = (ancient * (d - 1) + current) / d;
      }
      if (n >= 3) {
        min = min === 0 ? current : Math.min(min, current);
        max = Math.max(max, current);
      }
      return [recent, Math.round(((recent - ancient) / ancient) * 100 * 10) / 10, min, max];
    });
    const got = run(useds).map((s) => [s.estimated_base, s.usage_trend, s.min, s.max]);
    expect(got).toEqual(model);
    expect(got.some(([, trend]) => (trend as number) < 0)).toBe(true);
  });
});

function leaks(settings: LeakSettings, samples: Array<[used: number, time: number]>) {
  let state = initialLeak;
  const out: Array<{ index: number; growth: number; reason: string; start: Date; end: Date }> = [];
  samples.forEach(([used, time], index) => {
    const r = foldLeak(settings, state, { used, time });
    state = r.state;
    if (r.leak) out.push({ index, ...r.leak });
  });
  return out;
}

describe('foldLeak', () => {
  const memwatch = MEMWATCH_LEAK;

  it("fires memwatch's rule on the 5th growing GC, with growth from the first growing GC", () => {
    // GC 0 is the baseline; GCs 1..5 grow.
    const found = leaks(memwatch, [
      [100, 0],
      [200, 5000],
      [300, 10000],
      [400, 15000],
      [500, 20000],
      [1300, 25000],
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]?.index).toBe(5);
    expect(found[0]?.growth).toBe(1100);
    expect(found[0]?.start).toEqual(new Date(5000));
    expect(found[0]?.end).toEqual(new Date(25000));
    expect(found[0]?.reason).toBe('heap growth over 5 consecutive GCs (20s) - 193.36 kb/hr');
  });

  it('resets on a GC that does not grow, and restarts the count after a leak', () => {
    const samples: Array<[number, number]> = [[100, 0]];
    for (let i = 1; i <= 4; i++) samples.push([100 + i, i * 1000]);
    samples.push([104, 5000]); // equal: resets
    for (let i = 1; i <= 10; i++) samples.push([104 + i, 5000 + i * 1000]);
    const found = leaks(memwatch, samples);
    expect(found.map((f) => f.index)).toEqual([10, 15]);
  });

  it('honours consecutiveGcs, minGrowth and minDuration', () => {
    const samples: Array<[number, number]> = Array.from({ length: 20 }, (_, i) => [
      1e6 + i * 400_000,
      i * 1000,
    ]);
    const settings = { consecutiveGcs: 3, minGrowth: 1_000_000, minDuration: 4000, probe: true };
    // Steps of 400 kB exceed minGrowth / 3; from GC 1 the run has grown 1 MB by GC 4, lasted 4 s at GC 5.
    const found = leaks(settings, samples);
    expect(found[0]?.index).toBe(5);
    expect(found[0]?.growth).toBe(1_600_000);
    expect(leaks({ ...settings, consecutiveGcs: 7 }, samples)[0]?.index).toBe(7);
  });

  it('does not let noise smaller than minGrowth / consecutiveGcs keep a run alive', () => {
    const samples: Array<[number, number]> = Array.from({ length: 30 }, (_, i) => [
      20e6 + i * 10_000,
      i * 1000,
    ]);
    expect(
      leaks({ consecutiveGcs: 5, minGrowth: 1024 * 1024, minDuration: 0, probe: false }, samples),
    ).toEqual([]);
    expect(leaks(memwatch, samples).length).toBeGreaterThan(0);
  });
});

describe('leak reason and formatting', () => {
  it('formats durations as memwatch does, larger parts only when reached', () => {
    expect(formatDuration(3725)).toBe('1h 2m 5s');
    expect(formatDuration(20)).toBe('20s');
    expect(formatDuration(20.9)).toBe('20s');
    expect(formatDuration(60)).toBe('1m 0s');
    expect(formatDuration(3600)).toBe('1h 0m 0s');
    expect(formatDuration(90061)).toBe('25h 1m 1s');
  });

  it('writes the exact reason format', () => {
    // 11.67 mb/hr over 20 s: growth = 11.67 MiB * 20 / 3600.
    const growth = (11.67 * 1024 * 1024 * 20) / 3600;
    expect(leakReason(5, growth, 20_000)).toBe('heap growth over 5 consecutive GCs (20s) - 11.67 mb/hr');
  });

  it('never prints a rate for a run under a second', () => {
    expect(leakReason(5, 3.2 * 1024 * 1024, 400)).toBe(
      'heap growth over 5 consecutive GCs (<1s) - 3.2 mb total',
    );
    expect(leakReason(5, 3.2 * 1024 * 1024, 0)).not.toMatch(/hr|NaN|Infinity|-2147483648/);
  });
});

describe('probing', () => {
  const settings = { consecutiveGcs: 5, minGrowth: 1024 * 1024, minDuration: 5000, probe: true };

  it('waits at least a second, longer for large heaps and long pauses', () => {
    expect(probeIntervalMs(1e6, 1)).toBe(1000);
    expect(probeIntervalMs(1024 ** 3, 1)).toBeCloseTo(102_400, 0);
    expect(probeIntervalMs(1e6, 50)).toBe(5000);
  });

  it('probes only after growth and only when enabled', () => {
    const last = { time: 0, used: 10e6, pauseMs: 2 };
    expect(probeDue(settings, { time: 1500, used: 11e6 }, last)).toBe(true);
    expect(probeDue(settings, { time: 500, used: 11e6 }, last)).toBe(false);
    expect(probeDue(settings, { time: 1500, used: 10e6 + 1000 }, last)).toBe(false);
    expect(probeDue({ ...settings, probe: false }, { time: 1500, used: 11e6 }, last)).toBe(false);
  });
});
