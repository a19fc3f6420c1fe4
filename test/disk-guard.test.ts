// The disk guard refuses early with ENOSPC when the filesystem clearly cannot hold the snapshot
// (needed = 0.5 x heap used, native/disk_guard.h), for API and signal snapshots alike.
import { readdirSync, statfsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { heapwatchWith, start, tempDir, testBinding } from './helpers.js';

const faked: string[] = [];
function fakeFree(dir: string, bytes: number) {
  testBinding().testFakeFreeSpace(dir, bytes);
  faked.push(dir);
}
afterEach(() => {
  for (const dir of faked.splice(0)) testBinding().testFakeFreeSpace(dir, -1);
});

describe('disk guard (free space faked)', () => {
  it('snapshot() rejects with ENOSPC saying needed and free, before writing anything', async () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir });
    fakeFree(dir, 1024 * 1024);
    const heapUsed = process.memoryUsage().heapUsed;
    const error: any = await hw.snapshot().catch((e) => e);
    expect(error.code).toBe('ENOSPC');
    expect(error.syscall).toBe('statfs');
    expect(error.message).toMatch(
      /^could not write heap snapshot to .*: ENOSPC \(the snapshot needs at least \d+\.\d MB and only 1\.0 MB are free\)$/,
    );
    expect(error.free).toBe(1024 * 1024);
    expect(error.needed).toBeGreaterThan(0.4 * heapUsed);
    expect(error.needed).toBeLessThan(0.7 * heapUsed);
    expect(readdirSync(dir)).toEqual([]); // no file, no temporary file, no ledger
  });

  it("writeSnapshot keeps heapdump's message and adds the figures", () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    fakeFree(dir, 0);
    const calls: any[] = [];
    expect(hw.writeSnapshot(`${dir}/x.heapsnapshot`, (...args: any[]) => calls.push(args))).toBe(false);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    expect(calls[0][0].message).toMatch(
      /^heapdump write error ENOSPC \(the snapshot needs at least .* MB and only 0\.0 MB are free\)$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('enough (faked) space lets it write', async () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir });
    fakeFree(dir, 10 * process.memoryUsage().heapUsed);
    const info = await hw.snapshot();
    expect(info.bytes).toBeGreaterThan(0);
  });

  it('a signal snapshot is refused the same way: a failed snapshot event and one stderr line', async () => {
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['fakefree', String(512 * 1024)],
      env: { NODE_HEAPDUMP_OPTIONS: `dir=${dir}` },
      testAddon: true,
    });
    await child.next('ready');
    child.signal('SIGUSR2');
    const e = await child.next('snapshot');
    expect(e.trigger).toBe('signal');
    expect(e.error.code).toBe('ENOSPC');
    expect(e.error.message).toMatch(/the snapshot needs at least .* MB and only 0\.5 MB are free/);
    // The line is written before the event, but stderr and stdout reach the parent separately.
    await child.stderrMatches(
      /^heapwatch: could not write heap snapshot to .*: ENOSPC \(the snapshot needs at least \d+\.\d MB and only 0\.5 MB are free\) \(signal\)$/m,
    );
    expect(readdirSync(dir)).toEqual([]);
    child.signal('SIGTERM');
    await child.exited;
  });
});

describe('disk guard (real filesystem)', () => {
  it('reads the real free space and never refuses a snapshot that fits', async () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    const st = statfsSync(dir);
    expect(st.bavail * st.bsize).toBeGreaterThan(process.memoryUsage().heapUsed);
    // The factor must stay below what snapshots really take for ordinary heaps: here a heap of
    // objects and strings (measured ratios: 1.2 to 2.2 file bytes per heap byte).
    const keep = Array.from({ length: 50_000 }, (_, i) => ({ id: i, name: `item-${i}`, tags: [i] }));
    const heapUsed = process.memoryUsage().heapUsed;
    const info = await hw.snapshot({ dir });
    expect(info.bytes).toBeGreaterThan(0.5 * heapUsed);
    expect(keep.length).toBe(50_000);
  });

  it('a filesystem that takes no files (/proc) gets the real reason, not ENOSPC', async () => {
    const { hw } = heapwatchWith();
    const error: any = await hw.snapshot({ dir: '/proc' }).catch((e) => e);
    expect(error.code).not.toBe('ENOSPC');
    expect(error.message).toMatch(
      /^could not write heap snapshot to \/proc\/\S+: E[A-Z]+ \(a virtual filesystem that takes no files\)$/,
    );
  });
});
