// memwatch's statistics behind 'stats': the addon's FoldStats (moving averages, trend, min, max)
// over synthetic full GCs, through the test build's seam.
import { describe, expect, it } from 'vitest';
import { testBinding } from './helpers.js';

interface Folded {
  estimated_base: number;
  usage_trend: number;
  min: number;
  max: number;
  current_base: number;
}

// The addon's FoldStats (the arithmetic behind 'stats') over synthetic full GCs n = 1, 2, ...
const binding = testBinding();
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
