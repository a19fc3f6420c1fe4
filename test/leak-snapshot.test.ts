// snapshotOnLeak / env `leak`: a snapshot on 'leak', at most once per cooldown and max times.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeakSnapshotGate } from '../src/leak-snapshot.js';
import { heapwatchWith, readSnapshot, snapshotsIn, start, tempDir } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

const LEAK = { growth: 1, reason: 'synthetic', start: new Date(), end: new Date() };

describe('LeakSnapshotGate', () => {
  it('allows one per cooldown, at most max', () => {
    const gate = new LeakSnapshotGate({ cooldown: 1000, max: 2 });
    expect([0, 500, 999, 1000, 1500, 5000].map((t) => gate.allow(t))).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
    ]);
  });
});

describe('snapshotOnLeak', () => {
  it('writes on leak with cooldown and max; each reported by the event', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({
      dir,
      name: 'leak-{trigger}-{seq}.heapsnapshot',
      snapshotOnLeak: { cooldown: '1m', max: 2 },
    });
    const events: any[] = [];
    hw.on('snapshot', (e) => events.push(e));

    hw.emit('leak', LEAK);
    hw.emit('leak', LEAK); // within the cooldown
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      trigger: 'leak',
      path: expect.stringMatching(/leak-leak-\d+\.heapsnapshot$/),
    });
    vi.advanceTimersByTime(59_000);
    hw.emit('leak', LEAK);
    expect(events).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    hw.emit('leak', LEAK);
    expect(events).toHaveLength(2);
    vi.advanceTimersByTime(3_600_000);
    hw.emit('leak', LEAK); // max reached
    expect(events).toHaveLength(2);

    expect(snapshotsIn(dir)).toHaveLength(2);
  });

  it('from the environment: leak,leakmax=1; turning it off removes the listener', () => {
    const dir = tempDir();
    const { hw } = heapwatchWith(`leak,leakmax=1,dir=${dir}`);
    expect(hw.settings.snapshotOnLeak).toEqual({ cooldown: 600_000, max: 1 });
    const before = hw.listenerCount('leak');
    hw.emit('leak', LEAK);
    hw.emit('leak', LEAK);
    expect(snapshotsIn(dir)).toHaveLength(1);
    hw.configure({ snapshotOnLeak: false });
    expect(hw.listenerCount('leak')).toBe(before - 1);
  });

  it('a failed leak snapshot is an event with the error, never an "error" event', () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir, snapshotOnLeak: true });
    const events: any[] = [];
    hw.on('snapshot', (e) => events.push(e));
    hw.configure({ dir: `${dir}/sub` });
    require('node:fs').rmSync(`${dir}/sub`, { recursive: true });
    hw.emit('leak', LEAK);
    expect(events).toHaveLength(1);
    expect(events[0].trigger).toBe('leak');
    expect(events[0].error.code).toBe('ENOENT');
    expect(events[0].error.message).toMatch(/^could not write heap snapshot to .*: ENOENT \(open\)$/);
  });

  it('keep applies to leak snapshots too', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir, keep: 1, snapshotOnLeak: { cooldown: 0, max: 3 } });
    for (let i = 0; i < 3; i++) hw.emit('leak', LEAK);
    expect(snapshotsIn(dir)).toHaveLength(1);
  });
});

describe("snapshot on a real 'leak' (GC statistics, issue 3)", () => {
  it('a process that leaks writes one leak snapshot, reported on stderr and as an event', async () => {
    const dir = tempDir();
    const child = start('leak-then-snapshot.cjs', {
      cwd: dir,
      env: { NODE_HEAPDUMP_OPTIONS: `nosignal,leak,leakgcs=3,leakminduration=1000,dir=${dir}` },
      timeoutMs: 40_000,
    });
    const event = await child.next('snapshot', 35_000);
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    // heapwatch's own 'leak' listener (installed at load from the environment) runs first.
    expect(exit.stdout).toMatch(/^@snapshot .*\n@leak /m);
    expect(event.trigger).toBe('leak');
    expect(snapshotsIn(dir)).toHaveLength(1);
    expect(exit.stderr).toMatch(/^heapwatch: wrote \/\S+ \(\d+\.\d MB in \d+ ms, leak\)$/m);
    expect(readSnapshot(event.path).strings).toContain('RetainedSession');
  }, 45_000);
});
