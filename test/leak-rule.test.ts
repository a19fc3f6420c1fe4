// 'leak': the rule (memwatch's, with a minimum growth and duration), its reason text, the probe,
// and the rule on the bench/leak-detection programs and on programs that call gc().
import { describe, expect, it } from 'vitest';
import {
  foldLeak,
  formatDuration,
  initialLeak,
  LEVEL_BYTES,
  leakReason,
  MEMWATCH_LEAK,
  probeDue,
  probeIntervalMs,
} from '../src/leak-rule.js';
import type { LeakSettings } from '../src/types.js';
import { ROOT, result, run, snapshotsIn, tempDir } from './helpers.js';

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
      [100e3, 0],
      [200e3, 5000],
      [300e3, 10000],
      [400e3, 15000],
      [500e3, 20000],
      [1300e3, 25000],
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]?.index).toBe(5);
    expect(found[0]?.growth).toBe(1100e3);
    expect(found[0]?.start).toEqual(new Date(5000));
    expect(found[0]?.end).toEqual(new Date(25000));
    expect(found[0]?.reason).toBe('heap growth over 5 consecutive GCs (20s) - 188.83 mb/hr');
  });

  it('resets on a GC that does not grow, and restarts the count after a leak', () => {
    const kb = 1000;
    const samples: Array<[number, number]> = [[100 * kb, 0]];
    for (let i = 1; i <= 4; i++) samples.push([(100 + 20 * i) * kb, i * 1000]);
    samples.push([180 * kb, 5000]); // equal: resets
    for (let i = 1; i <= 10; i++) samples.push([(180 + 20 * i) * kb, 5000 + i * 1000]);
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
      20e6 + i * 20_000,
      i * 1000,
    ]);
    expect(
      leaks({ consecutiveGcs: 5, minGrowth: 1024 * 1024, minDuration: 0, probe: false }, samples),
    ).toEqual([]);
    expect(leaks(memwatch, samples).length).toBeGreaterThan(0);
  });

  it('takes growth of 16 KiB or less between two full GCs for a level heap, with every rule', () => {
    // What a program warming up adds per gc() for its first seconds (V8 compiling its code).
    const warmup = [152, 72, 4176, 5736, 120, 1592, 80, 11224, 184, 16384];
    const samples: Array<[number, number]> = [[5e6, 0]];
    for (const step of warmup) samples.push([samples.at(-1)![0] + step, samples.length * 200]);
    expect(leaks(memwatch, samples)).toEqual([]);
    expect(LEVEL_BYTES).toBe(16 * 1024);
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

  it('waits at least a second, longer for large heaps and GCs that took long on the CPU', () => {
    expect(probeIntervalMs(1e6, 1)).toBe(1000);
    expect(probeIntervalMs(1024 ** 3, 1)).toBeCloseTo(102_400, 0);
    expect(probeIntervalMs(1e6, 50)).toBe(5000);
  });

  it('probes only after growth and only when enabled', () => {
    const last = { time: 0, used: 10e6, cpuMs: 2 };
    expect(probeDue(settings, { time: 1500, used: 11e6 }, last)).toBe(true);
    expect(probeDue(settings, { time: 500, used: 11e6 }, last)).toBe(false);
    expect(probeDue(settings, { time: 1500, used: 10e6 + 1000 }, last)).toBe(false);
    expect(probeDue({ ...settings, probe: false }, { time: 1500, used: 11e6 }, last)).toBe(false);
  });
});

describe('leak detection on the bench/leak-detection programs', () => {
  // The target, a 'leak' within 10 s, is bench/leak-detection's (timed on a quiet machine); here
  // the bound is generous, so that a loaded machine does not fail a correct rule.
  it('finds a ~1 MB/s leak and nothing in 30 s of churn, a sawtooth cache or a warm-up', async () => {
    const program = (name: string, seconds: number) =>
      result('bench/leak-detection/run.mjs', {
        cwd: ROOT,
        args: [name, String(seconds)],
        timeoutMs: (seconds + 20) * 1000,
      });
    const [leak, churn, sawtooth, warmup] = await Promise.all([
      program('leak', 30),
      program('churn', 30),
      program('sawtooth', 30),
      program('warmup', 30),
    ]);
    expect(leak.firstLeakMs).not.toBeNull();
    expect(leak.leaks[0].reason).toMatch(
      /^heap growth over \d+ consecutive GCs \(\d+s\) - [\d.]+ (mb|kb)\/hr$/,
    );
    expect(churn.leaks).toEqual([]);
    expect(sawtooth.leaks).toEqual([]);
    expect(warmup.leaks).toEqual([]);
  });
});

describe('programs that call gc() (one call counts as one full GC)', () => {
  const program = (args: string[]) => result('gc-loop.cjs', { cwd: ROOT, args, timeoutMs: 60_000 });

  // Each group runs its programs side by side: they mostly wait on a 200 ms timer.
  it("a leak with gc() every 200 ms: 'leak' within 10 s, by either rule, in main and in a worker", async () => {
    const runs = await Promise.all(
      ['default', 'memwatch'].flatMap((rule) =>
        ['main', 'worker'].map((where) => program(['leak', '10', rule, where])),
      ),
    );
    for (const out of runs) {
      // One 'stats' per gc(), not one per GC of V8's low-memory notification.
      expect(out.stats, JSON.stringify(out)).toBeGreaterThanOrEqual(out.kept - 2);
      expect(out.stats, JSON.stringify(out)).toBeLessThanOrEqual(out.kept + 5);
      expect(out.firstLeakMs, JSON.stringify(out)).not.toBeNull();
      expect(out.firstLeakMs, JSON.stringify(out)).toBeLessThanOrEqual(10_000);
    }
    expect(runs.map((r) => r.where)).toEqual(['main', 'worker', 'main', 'worker']);
  }, 60_000);

  it("a steady program with gc() every 200 ms: no 'leak' in 30 s, by either rule, in main and in a worker", async () => {
    const runs = await Promise.all([
      program(['steady', '30', 'default', 'main']),
      program(['steady', '30', 'memwatch', 'main']),
      program(['steady', '30', 'memwatch', 'worker']),
    ]);
    for (const out of runs) {
      expect(out.stats, JSON.stringify(out)).toBeGreaterThan(100);
      expect(out.reasons, JSON.stringify(out)).toEqual([]);
    }
  }, 60_000);

  it('NODE_HEAPDUMP_OPTIONS=leak writes its snapshot in such a program', async () => {
    const dir = tempDir();
    const exit = await run('gc-loop.cjs', {
      cwd: dir,
      args: ['leak', '10', 'default'],
      env: { NODE_HEAPDUMP_OPTIONS: `nosignal,leak,dir=${dir}` },
      timeoutMs: 60_000,
    });
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/^heapwatch: wrote \/\S+ \(\d+\.\d MB in \d+ ms, leak\)$/m);
    expect(snapshotsIn(dir)).toHaveLength(1);
  });
});
