// HeapDiff in child processes: clean heaps, a million-node list, workers, memory held.
// The fixtures load dist/ (npm test builds it first).
import { describe, expect, it } from 'vitest';
import { runFixture } from './fixtures/run.js';

type Counts = Record<string, number>;

describe('HeapDiff in a child process', () => {
  it('lists concatenated and sliced strings as String, and Symbol and BigInt groups', () => {
    const run = runFixture<Record<'cons' | 'sliced' | 'symbol' | 'bigint', Counts>>('heap-diff-groups.cjs');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const r = run.result!;
    // Each diff made exactly 1000 values of its kind and next to no other strings.
    expect(r.cons.String).toBeGreaterThanOrEqual(1000);
    expect(r.cons.String).toBeLessThan(1100);
    expect(r.sliced.String).toBeGreaterThanOrEqual(1000);
    expect(r.sliced.String).toBeLessThan(1100);
    expect(r.symbol.Symbol).toBe(1000);
    expect(r.bigint.BigInt).toBeGreaterThanOrEqual(1000);
    expect(r.bigint.BigInt).toBeLessThan(1100);
  });

  it('walks a live linked list of 1,000,000 nodes without recursion', () => {
    const run = runFixture<{ what: string; '+': number; size_bytes: number; retainers: string[] }>(
      'heap-diff-list.cjs',
      [],
      120_000,
    );
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    const list = run.result!;
    expect(list.what).toBe('ListNode');
    expect(list['+']).toBe(1_000_000);
    expect(list.size_bytes).toBeGreaterThanOrEqual(1_000_000 * 12);
    // Node 26 reaches the global through its native context: match the end of the path.
    expect(list.retainers[0]).toMatch(/(^|> )global.* > listHead \(property\) > ListNode$/);
  });

  it("leaves HeapDiff's own objects out when HeapDiffs overlap", () => {
    // 8 HeapDiffs dropped and 12 made during the diff: their handles must not show.
    const run = runFixture<Array<[string, number, number]>>('heap-diff-own.cjs');
    expect(run.status).toBe(0);
    const details = run.result!;
    expect(details.find(([what]) => what === 'HeapDiff')).toBeUndefined();
    // The handles are Externals, which V8 lists as Object: 12 made and 8 freed here if counted.
    const objects = details.find(([what]) => what === 'Object') ?? ['Object', 0, 0];
    expect(objects[1]).toBeLessThan(8);
    expect(objects[2]).toBeLessThan(8);
  });

  it("sees the worker's heap from inside a worker", () => {
    const run = runFixture<{ details: Array<[string, number, number]>; mainOnly: number }>(
      'heap-diff-worker.cjs',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { details, mainOnly } = run.result!;
    expect(mainOnly).toBe(100); // the main thread did allocate during the worker's diff
    expect(details.find(([what]) => what === 'WorkerOnly')).toEqual(['WorkerOnly', 100, 0]);
    expect(details.find(([what]) => what === 'MainOnly')).toBeUndefined();
  });

  it('holds far less than a snapshot between the constructor and end()', () => {
    const run = runFixture<{ nodes: number; heldBytes: number; peakBytes: number }>('heap-diff-held.cjs', [
      '--expose-gc',
    ]);
    expect(run.status).toBe(0);
    const { nodes, heldBytes, peakBytes } = run.result!;
    expect(nodes).toBeGreaterThan(300_000);
    // Taking the snapshot needs hundreds of bytes per node; the table is 16.
    expect(peakBytes).toBeGreaterThan(100 * nodes);
    expect(heldBytes).toBeLessThan(32 * nodes);
    expect(heldBytes).toBeLessThan(peakBytes / 8);
  });
});
