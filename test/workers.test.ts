// Worker threads: each environment snapshots its own heap; loading, exiting and terminating
// workers leaves the process healthy.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readSnapshot, run, tagged, tempDir, tempFilesIn } from './helpers.js';

async function scenario(name: string) {
  const cwd = tempDir();
  const exit = await run('worker-main.cjs', { cwd, args: [name] });
  expect(exit, `${exit.stdout}\n${exit.stderr}`).toMatchObject({ code: 0, signal: null });
  const [result] = tagged(exit.stdout, 'result');
  expect(result).toBeDefined();
  return { result, cwd, exit };
}

const okWrite = (file: string) => ({ ret: true, calls: [{ err: null, name: file }] });

describe('worker threads', () => {
  test("a worker's writeSnapshot holds the worker's objects and not main's", async () => {
    const { result, cwd } = await scenario('isolation');
    expect(result.worker).toEqual(okWrite('worker.heapsnapshot'));
    expect(result.workerExit).toBe(0);
    const worker = readSnapshot(join(cwd, 'worker.heapsnapshot')).strings;
    expect(worker).toContain('WorkerThreadOnlyAllocation');
    expect(worker).not.toContain('MainThreadOnlyAllocation');
    const main = readSnapshot(join(cwd, 'main.heapsnapshot')).strings;
    expect(main).toContain('MainThreadOnlyAllocation');
    expect(main).not.toContain('WorkerThreadOnlyAllocation');
  });

  test('main and worker load heapwatch and write at the same time', async () => {
    const { result, cwd } = await scenario('together');
    expect(result.main).toEqual({ ret: true });
    expect(result.worker).toEqual(okWrite('worker.heapsnapshot'));
    expect(result.workerExit).toBe(0);
    expect(readSnapshot(join(cwd, 'worker.heapsnapshot')).strings).toContain('WorkerThreadOnlyAllocation');
    expect(readSnapshot(join(cwd, 'main.heapsnapshot')).strings).toContain('MainThreadOnlyAllocation');
    expect(readdirSync(cwd).sort()).toEqual(['main.heapsnapshot', 'worker.heapsnapshot']);
  });

  test('workers terminated while loaded (and while writing) leave the process healthy', async () => {
    const { result, cwd } = await scenario('terminate');
    expect(result.codes).toEqual([1, 1, 1, 1]);
    expect(result.main).toEqual({ ret: true });
    expect(result.signal).toMatchObject({ trigger: 'signal' });
    readSnapshot(join(cwd, 'main.heapsnapshot'));
    readSnapshot(result.signal.path);
    // Whatever the terminated writer left is complete, and no temp file remains.
    for (const f of readdirSync(cwd)) readSnapshot(join(cwd, f));
    expect(tempFilesIn(cwd)).toEqual([]);
  });

  test('SIGUSR2 with a worker loaded: the main thread writes one snapshot, the worker none', async () => {
    const { result, cwd } = await scenario('signal-with-worker');
    expect(result.signal).toMatchObject({ trigger: 'signal' });
    expect(result.files).toHaveLength(1);
    expect(join(cwd, result.files[0])).toBe(result.signal.path);
    expect(readSnapshot(result.signal.path).strings).toContain('MainThreadOnlyAllocation');
    expect(result.workerEvents).toEqual([]);
    expect(result.code).toBe(1);
  });

  test('loading heapwatch only in workers, and exiting them, does not crash', async () => {
    const { result, cwd } = await scenario('worker-only');
    expect(result.worker).toEqual(okWrite('worker.heapsnapshot'));
    expect(result.workerExit).toBe(0);
    expect(result.exitingExit).toBe(0);
    readSnapshot(join(cwd, 'worker.heapsnapshot'));
    readSnapshot(join(cwd, 'exit.heapsnapshot'));
  });

  test("{tid} names a snapshot with the thread's id: 0 in main, the worker's threadId in a worker", async () => {
    const { result } = await scenario('thread-ids');
    // {seq} counts per process (so threads never collide), hence only the {tid} part is fixed.
    expect(result.main).toMatch(/^t0-\d+\.heapsnapshot$/);
    expect(result.workerThreadId).toBeGreaterThan(0);
    expect(result.worker).toMatch(new RegExp(`^t${result.workerThreadId}-\\d+\\.heapsnapshot$`));
    expect(result.workerExit).toBe(0);
  });
});
