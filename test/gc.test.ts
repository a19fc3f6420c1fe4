// The GC monitor in real processes: shape, gc(), 'gc' under thousands of scavenges, hooks removed,
// workers, and the leak/steady programs of bench/leak-detection.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMWATCH_STATS_KEYS } from './helpers.js';

const root = join(__dirname, '..');

function run(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

async function json(args: string[], timeoutMs = 30_000) {
  const r = await run(args, timeoutMs);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
}

describe('GC monitor (child processes)', () => {
  it("has memwatch's shape; gc() returns undefined and 'stats' follows after it returns", async () => {
    const out = await json(['test/fixtures/gc-exports.cjs']);
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
    const out = await json(['--max-semi-space-size=1', 'test/fixtures/gc-scavenges.cjs']);
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
    const phases = await json(['--max-semi-space-size=1', 'test/fixtures/gc-counts.cjs']);
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
    const out = await json(['test/fixtures/gc-unhook.cjs'], 10_000);
    expect(out.before).toBeGreaterThan(0);
    expect(out.after).toBe(out.before);
    expect(out.log[0]).toBe('gc:mark-sweep-compact');
    expect(out.log[1]).toBe('stats:1');
  });

  it("keeps each worker's heap and GCs to its own listeners", async () => {
    const out = await json(['test/fixtures/gc-workers.cjs']);
    expect(out.worker.kept).toBe(40_000);
    expect(out.worker.heap).toBeGreaterThan(30e6);
    expect(out.main.heap).toBeLessThan(out.worker.heap / 3);
    expect(out.worker.gcs).toBeGreaterThan(out.main.gcs);
    expect(out.main.stats).toBeGreaterThanOrEqual(1);
  });

  it('survives 8 s of listening workers created and terminated at random, and exits 0', async () => {
    const out = await json(['test/fixtures/gc-worker-churn.cjs'], 40_000);
    expect(out.started).toBeGreaterThan(8);
    expect(out.mainStats).toBeGreaterThan(0);
    expect(out.workerStats).toBeGreaterThan(0);
  });
});

describe('leak detection on the bench/leak-detection programs', () => {
  it('finds a ~1 MB/s leak within 10 s and nothing in 30 s of churn, a sawtooth cache or a warm-up', async () => {
    const program = (name: string, seconds: number) =>
      json(['bench/leak-detection/run.mjs', name, String(seconds)], (seconds + 20) * 1000);
    const [leak, churn, sawtooth, warmup] = await Promise.all([
      program('leak', 12),
      program('churn', 30),
      program('sawtooth', 30),
      program('warmup', 30),
    ]);
    expect(leak.firstLeakMs).not.toBeNull();
    expect(leak.firstLeakMs).toBeLessThanOrEqual(10_000);
    expect(leak.leaks[0].reason).toMatch(
      /^heap growth over \d+ consecutive GCs \(\d+s\) - [\d.]+ (mb|kb)\/hr$/,
    );
    expect(churn.leaks).toEqual([]);
    expect(sawtooth.leaks).toEqual([]);
    expect(warmup.leaks).toEqual([]);
  });
});
