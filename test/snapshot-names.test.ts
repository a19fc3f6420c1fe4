// Where generated snapshots go and what they are called: `dir` and `name`, through configure() and
// the environment; generated names never collide and never replace a file.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { heapwatchWith, snapshotsIn, start, tempDir } from './helpers.js';

const cwd = process.cwd();
afterEach(() => process.chdir(cwd));

describe('dir', () => {
  it('configure({dir}) creates it 0700, relative to the cwd at configure time', () => {
    const base = tempDir();
    process.chdir(base);
    const { hw } = heapwatchWith();
    hw.configure({ dir: 'a/b' });
    expect(hw.settings.dir).toBe(join(base, 'a/b'));
    expect(statSync(join(base, 'a/b')).mode & 0o777).toBe(0o700);
    expect(statSync(join(base, 'a')).mode & 0o777).toBe(0o700);
    process.chdir(tempDir()); // later cwd changes do not move the snapshots
    let written = '';
    expect(hw.writeSnapshot((err, name) => (written = err ? String(err) : name!))).toBe(true);
    expect(dirname(written)).toBe(join(base, 'a/b'));
    expect(snapshotsIn(join(base, 'a/b'))).toEqual([basename(written)]);
  });

  it('an existing directory keeps its mode; names the caller gives keep their meaning', async () => {
    const dir = tempDir();
    const other = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700); // mkdtemp's
    const own = await hw.snapshot({ filename: join(other, 'mine.heapsnapshot') });
    expect(own.path).toBe(join(other, 'mine.heapsnapshot'));
    expect(snapshotsIn(dir)).toEqual([]);
  });

  it('configure() throws for a directory it cannot create, and changes nothing', () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), '');
    const { hw } = heapwatchWith();
    hw.configure({ dir: base });
    expect(() => hw.configure({ dir: join(base, 'file', 'sub') })).toThrow(
      expect.objectContaining({
        code: 'ENOTDIR',
        message: expect.stringContaining('could not create the snapshot directory'),
      }),
    );
    expect(hw.settings.dir).toBe(base);
  });

  it('env dir= is used for generated names; a bad one is named on stderr and ignored', () => {
    const dir = join(tempDir(), 'env-dir');
    const { hw, warnings } = heapwatchWith(`dir=${dir},name=env-{seq}.heapsnapshot`);
    expect(warnings).toEqual([]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    hw.writeSnapshot();
    expect(snapshotsIn(dir)).toHaveLength(1);
    expect(snapshotsIn(dir)[0]).toMatch(/^env-\d+\.heapsnapshot$/);

    const file = join(tempDir(), 'plain');
    writeFileSync(file, '');
    const bad = heapwatchWith(`dir=${file}/x`);
    expect(bad.warnings).toEqual([
      `heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "dir=${file}/x": could not create the snapshot directory ${file}/x: ENOTDIR`,
    ]);
    expect(bad.hw.settings.dir).toBe('');
  });
});

describe('name templates', () => {
  it('expands {pid} {tid} {seq} {date} {trigger} {sec} {usec}', () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir, name: 'p{pid}-t{tid}-s{seq}-{date}-{trigger}-{sec}.{usec}.heapsnapshot' });
    const before = Date.now();
    let name = '';
    hw.writeSnapshot((err, f) => {
      expect(err).toBeNull();
      name = basename(f!);
    });
    const m = /^p(\d+)-t(\d+)-s(\d+)-(\d{8}T\d{6}Z)-api-(\d+)\.(\d{6})\.heapsnapshot$/.exec(name);
    expect(m, name).not.toBeNull();
    const [, pid, tid, , date, sec, usec] = m!;
    expect(Number(pid)).toBe(process.pid);
    expect(Number(tid)).toBe(7);
    const ms = Number(sec) * 1000 + Number(usec) / 1000;
    expect(Math.abs(ms - before)).toBeLessThan(5000);
    const iso = `${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6, 8)}T${date!.slice(9, 11)}:${date!.slice(11, 13)}:${date!.slice(13, 15)}Z`;
    expect(Math.abs(Date.parse(iso) - Number(sec) * 1000)).toBeLessThanOrEqual(1000);
  });

  it('a generated name never replaces an existing file ({seq} restarts in every process)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'n-1.heapsnapshot'), 'from an earlier process');
    writeFileSync(join(dir, 'n-2.heapsnapshot'), 'from an earlier process');
    const { hw } = heapwatchWith();
    hw.configure({ dir, name: 'n-{seq}.heapsnapshot' });
    let written = '';
    hw.writeSnapshot((err, f) => (written = err ? String(err) : f!));
    expect(written).toMatch(/n-\d+\.heapsnapshot$/);
    expect(readFileSync(join(dir, 'n-1.heapsnapshot'), 'utf8')).toBe('from an earlier process');
    expect(readFileSync(join(dir, 'n-2.heapsnapshot'), 'utf8')).toBe('from an earlier process');
    expect(readFileSync(written, 'utf8').startsWith('{"snapshot"')).toBe(true);
    expect(snapshotsIn(dir)).toHaveLength(3);
  });

  it('{seq} increases with every name', () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir, name: 'n-{seq}.heapsnapshot' });
    hw.writeSnapshot();
    hw.writeSnapshot();
    const seqs = snapshotsIn(dir).map((f) => Number(/\d+/.exec(f)![0]));
    expect(seqs[1]! - seqs[0]!).toBe(1);
  });

  // A tight loop: several snapshots within one clock second, none may share a name.
  it('40 snapshots in a loop with the default name: 40 distinct files', async () => {
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['many', '40'],
      env: { NODE_HEAPDUMP_OPTIONS: 'nosignal' },
      timeoutMs: 120_000,
    });
    const names: string[] = await child.next('names', 110_000);
    expect(names).toHaveLength(40);
    expect(new Set(names).size).toBe(40);
    for (const n of names) expect(n).toMatch(/^heapdump-\d+\.\d{6}\.heapsnapshot$/);
    expect(snapshotsIn(dir)).toHaveLength(40);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Without keep, heapwatch writes nothing but the snapshots.
    expect(existsSync(join(dir, '.heapwatch-ledger'))).toBe(false);
    await child.exited;
  }, 130_000);
});
