// A worker that reaches its heap limit with heapLimit on: heapwatch writes one snapshot, then
// Node's own worker callback ends that worker, and only that worker, whatever the heap's shape
// and whatever `max` says (a worker takes one: native/heap_limit.h).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSnapshot, snapshotsIn, start, tempDir } from '../helpers.js';

describe("a worker's heap limit ends only the worker", () => {
  it('for one growing array, many small objects and a chain of arrays, with max 1 and more', async () => {
    const cases = [
      ['array', '1'],
      ['array', '3'],
      ['objects', '1'],
      ['objects', '3'],
      ['chain', '2'],
    ];
    // In parallel: each child is mostly waiting for its snapshot.
    const outcomes = await Promise.all(
      cases.map(async ([shape, max]) => {
        const dir = tempDir();
        const child = start('worker-heap-limit.cjs', { cwd: dir, args: [shape!, max!], timeoutMs: 170_000 });
        const exit = await child.exited;
        const files = snapshotsIn(dir);
        if (files.length === 1) readSnapshot(join(dir, files[0]!));
        return {
          shape,
          max,
          code: exit.code,
          signal: exit.signal,
          worker: child.lines('worker'),
          alive: child.lines('alive').length,
          fatal: /FATAL ERROR/.test(exit.stderr),
          files: files.map((f) => /^w-[1-9]\d*-heap-limit-\d+\.heapsnapshot$/.test(f)),
        };
      }),
    );
    for (const o of outcomes) {
      expect(o, JSON.stringify(o)).toEqual({
        shape: o.shape,
        max: o.max,
        code: 0,
        signal: null,
        worker: [{ code: 'ERR_WORKER_OUT_OF_MEMORY' }],
        alive: 1,
        fatal: false,
        files: [true],
      });
    }
  }, 180_000);
});
