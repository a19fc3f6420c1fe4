// A snapshot near the heap limit, in a child that leaks until V8 gives up; in a worker, only the
// worker ends. The memory check reads a fake /proc and /sys through the test build's seam.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSnapshot, snapshotsIn, start, tempDir, testBinding } from './helpers.js';

const MB = 1024 * 1024;
const leak = (dir: string, options: string, sysroot = '') =>
  start('grow-until-oom.cjs', {
    cwd: dir,
    nodeArgs: ['--max-old-space-size=64'],
    args: [sysroot],
    env: { NODE_HEAPDUMP_OPTIONS: options },
    testAddon: true,
    timeoutMs: 60_000,
  });

/** A fake /proc and /sys: MemAvailable and a cgroup v2 tree with the given limits. */
function fakeRoot(opts: {
  memAvailable: number;
  cgroupPath?: string;
  limits?: Record<string, [string, number]>;
}) {
  const root = tempDir();
  mkdirSync(join(root, 'proc/self'), { recursive: true });
  writeFileSync(
    join(root, 'proc/meminfo'),
    `MemTotal: 99999999 kB\nMemAvailable: ${opts.memAvailable / 1024} kB\n`,
  );
  writeFileSync(join(root, 'proc/self/cgroup'), `0::${opts.cgroupPath ?? '/'}\n`);
  for (const [path, [max, current]] of Object.entries(opts.limits ?? {})) {
    const dir = join(root, 'sys/fs/cgroup', path);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.max'), `${max}\n`);
    writeFileSync(join(dir, 'memory.current'), `${current}\n`);
    writeFileSync(join(dir, 'memory.stat'), `anon 1\ninactive_file ${4 * MB}\nactive_file 0\n`);
  }
  return root;
}

describe('heapLimit / oom', () => {
  it("at --max-old-space-size=64: one complete snapshot, stderr says where, then Node's OOM report", async () => {
    const dir = tempDir();
    const snaps = join(dir, 'snaps');
    const child = leak(dir, `oom,dir=${snaps},name=oom-{pid}-{trigger}-{seq}.heapsnapshot,keep=5`);
    const exit = await child.exited;
    // Node's own fatal OOM report, after heapwatch's lines, and the abort that goes with it.
    expect(exit.signal ?? exit.code).toMatch(/SIGABRT|134/);
    const wrote = /^heapwatch: wrote (\S+) \(([\d.]+) MB in \d+ ms, heap-limit\)$/m.exec(exit.stderr);
    expect(wrote, exit.stderr).not.toBeNull();
    expect(exit.stderr).toMatch(
      /^heapwatch: the JavaScript heap reached its limit \(64 MB for old objects, \d+ MB in use with the young ones\): writing a snapshot before V8 gives up/m,
    );
    expect(exit.stderr.indexOf('JavaScript heap out of memory')).toBeGreaterThan(
      exit.stderr.indexOf('heapwatch: wrote'),
    );
    const files = snapshotsIn(snaps);
    expect(files).toHaveLength(1);
    expect(join(snaps, files[0]!)).toBe(wrote![1]);
    expect(files[0]).toMatch(/^oom-\d+-heap-limit-1\.heapsnapshot$/);
    expect(readdirSync(snaps).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const parsed = readSnapshot(wrote![1]!);
    expect(parsed.snapshot.node_count).toBeGreaterThan(100_000);
    expect(parsed.strings).toContain('LeakedRecord');
    const ledger = readFileSync(join(snaps, testBinding().facts().ledger), 'utf8');
    expect(
      ledger
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[2]),
    ).toEqual(files);
  }, 60_000);

  it('oommax=2: a second snapshot when the raised limit is reached, then the OOM', async () => {
    const dir = tempDir();
    const exit = await leak(dir, `oommax=2,dir=${dir}`).exited;
    expect(exit.signal ?? exit.code).toMatch(/SIGABRT|134/);
    expect(exit.stderr.match(/^heapwatch: wrote .* heap-limit\)$/gm)).toHaveLength(2);
    expect(snapshotsIn(dir)).toHaveLength(2);
    for (const f of snapshotsIn(dir)) expect(readSnapshot(join(dir, f)).strings).toContain('LeakedRecord');
    expect(exit.stderr).toMatch(/JavaScript heap out of memory/);
  }, 60_000);

  it('skips, saying why, when the memory cgroup cannot hold the snapshot; the OOM report still comes', async () => {
    const dir = tempDir();
    const root = fakeRoot({ memAvailable: 8192 * MB, limits: { '': [String(200 * MB), 180 * MB] } });
    const exit = await leak(dir, `oom,dir=${dir}`, root).exited;
    expect(exit.signal ?? exit.code).toMatch(/SIGABRT|134/);
    expect(exit.stderr).toMatch(
      new RegExp(
        `^heapwatch: the JavaScript heap reached its limit \\(64 MB for old objects, \\d+ MB in use with the young ones\\); not writing a snapshot: it needs about \\d+ MB of memory and the memory cgroup leaves 24 MB \\(${root}/sys/fs/cgroup/memory.max\\)$`,
        'm',
      ),
    );
    expect(exit.stderr).toMatch(/JavaScript heap out of memory/);
    expect(snapshotsIn(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('skips when the machine has too little memory available', async () => {
    const dir = tempDir();
    const root = fakeRoot({ memAvailable: 100 * MB });
    const exit = await leak(dir, `oom,dir=${dir}`, root).exited;
    expect(exit.stderr).toMatch(
      /not writing a snapshot: it needs about \d+ MB of memory and the machine has 100 MB$/m,
    );
    expect(exit.stderr).toMatch(/JavaScript heap out of memory/);
    expect(snapshotsIn(dir)).toEqual([]);
  }, 60_000);
});

describe('heapLimit in a worker thread', () => {
  it("writes the snapshot, then Node's worker callback ends only the worker", async () => {
    const dir = tempDir();
    const child = start('worker-heap-limit.cjs', { cwd: dir, timeoutMs: 60_000 });
    expect(await child.next('worker', 50_000)).toEqual({ code: 'ERR_WORKER_OUT_OF_MEMORY' });
    await child.next('alive');
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    const files = snapshotsIn(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^w-[1-9]\d*-heap-limit-\d+\.heapsnapshot$/);
    expect(exit.stderr).toMatch(/^heapwatch: wrote .* heap-limit\)$/m);
    readSnapshot(join(dir, files[0]!));
  }, 60_000);
});

describe('memory available to the process', () => {
  it('cgroup v2: the tightest limit among the ancestors, less usage, plus reclaimable file pages', () => {
    const root = fakeRoot({
      memAvailable: 1000 * MB,
      cgroupPath: '/kubepods/pod1/app',
      limits: {
        kubepods: ['max', 500 * MB],
        'kubepods/pod1': [String(300 * MB), 250 * MB],
        'kubepods/pod1/app': [String(400 * MB), 100 * MB],
      },
    });
    expect(testBinding().testMemoryAvailable(root)).toEqual({
      machine: 1000 * MB,
      cgroup: 54 * MB,
      cgroupFile: `${root}/sys/fs/cgroup/kubepods/pod1/memory.max`,
    });
  });

  it('cgroup v2 without a limit, and v1 as the fallback', () => {
    const none = fakeRoot({ memAvailable: 10 * MB, limits: { '': ['max', 5 * MB] } });
    expect(testBinding().testMemoryAvailable(none)).toMatchObject({ machine: 10 * MB, cgroup: -1 });

    const v1 = tempDir();
    mkdirSync(join(v1, 'proc/self'), { recursive: true });
    mkdirSync(join(v1, 'sys/fs/cgroup/memory'), { recursive: true });
    writeFileSync(join(v1, 'proc/self/cgroup'), '4:memory:/docker/abc\n1:cpu:/docker/abc\n');
    writeFileSync(join(v1, 'sys/fs/cgroup/memory/memory.limit_in_bytes'), `${512 * MB}\n`);
    writeFileSync(join(v1, 'sys/fs/cgroup/memory/memory.usage_in_bytes'), `${300 * MB}\n`);
    writeFileSync(join(v1, 'sys/fs/cgroup/memory/memory.stat'), `cache 1\ntotal_inactive_file ${12 * MB}\n`);
    expect(testBinding().testMemoryAvailable(v1)).toEqual({
      machine: -1,
      cgroup: 224 * MB,
      cgroupFile: `${v1}/sys/fs/cgroup/memory/memory.limit_in_bytes`,
    });
  });

  it('on this machine: plausible figures', () => {
    const m = testBinding().testMemoryAvailable('');
    expect(m.machine).toBeGreaterThan(0);
    expect(m.cgroup === -1 || m.cgroup >= 0).toBe(true);
  });
});
