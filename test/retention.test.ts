// keep=N: heapwatch's own oldest snapshots are deleted, and never a file it did not write. The rule
// is the addon's (native/snapshot_ledger.h); these tests plant files and ledgers and watch it.
import { appendFileSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapwatchWith, snapshotsIn, start, tempDir, testBinding } from './helpers.js';

const LEDGER = testBinding().facts().ledger;

const NAME = 'app-{seq}.heapsnapshot';
const bySeq = (files: string[]) =>
  [...files].sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));

/** The ledger's lines as { ino, size, name }. */
function parseLedger(text: string) {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [ino, size, ...name] = l.split(' ');
      return { ino, size, name: name.join(' ') };
    });
}

/** Retention's pass over `dir` now, as configure() runs it; returns the names it deleted. */
function prune(dir: string, name: string, keep: number): string[] {
  const before = readdirSync(dir);
  const { hw } = heapwatchWith();
  hw.configure({ dir, name, keep });
  const after = new Set(readdirSync(dir));
  return bySeq(before.filter((f) => !after.has(f)));
}

/** Writes a file and records it in the ledger exactly as the addon does ("<ino> <size> <name>"). */
function own(dir: string, name: string, content = `{"snapshot":${name.length}}`): void {
  writeFileSync(join(dir, name), content);
  const st = statSync(join(dir, name), { bigint: true });
  appendFileSync(join(dir, LEDGER), `${st.ino} ${st.size} ${name}\n`);
}

describe('the retention rule (prune)', () => {
  it('keeps exactly N of its own, the latest written', () => {
    const dir = tempDir();
    for (let i = 1; i <= 6; i++) own(dir, `app-${i}.heapsnapshot`);
    expect(prune(dir, NAME, 4)).toEqual(['app-1.heapsnapshot', 'app-2.heapsnapshot']);
    expect(prune(dir, NAME, 4)).toEqual([]);
    expect(bySeq(snapshotsIn(dir))).toEqual([
      'app-3.heapsnapshot',
      'app-4.heapsnapshot',
      'app-5.heapsnapshot',
      'app-6.heapsnapshot',
    ]);
  });

  it('never deletes a foreign file: unlisted, replaced, edited, or under another template', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app-0.heapsnapshot'), 'foreign, named like ours, older');
    own(dir, 'app-1.heapsnapshot');
    own(dir, 'app-2.heapsnapshot');
    own(dir, 'app-3.heapsnapshot');
    own(dir, 'other-4.heapsnapshot');
    own(dir, 'app-5.heapsnapshot');
    // Replaced by someone else's file under the same name: a new inode.
    writeFileSync(join(dir, 'tmp'), 'foreign replacement');
    renameSync(join(dir, 'tmp'), join(dir, 'app-1.heapsnapshot'));
    // Edited in place: the size no longer matches the ledger.
    appendFileSync(join(dir, 'app-2.heapsnapshot'), ' edited');
    writeFileSync(join(dir, 'app-9.heapsnapshot'), 'foreign, named like ours, newest-looking');
    // A ledger line that names a file heapwatch never wrote (wrong inode).
    appendFileSync(join(dir, LEDGER), `1 6 notes.txt\n`);
    writeFileSync(join(dir, 'notes.txt'), 'notes!');

    expect(prune(dir, NAME, 1)).toEqual(['app-3.heapsnapshot']);
    expect(snapshotsIn(dir).sort()).toEqual(
      [
        'app-0.heapsnapshot',
        'app-1.heapsnapshot',
        'app-2.heapsnapshot',
        'app-5.heapsnapshot',
        'app-9.heapsnapshot',
        'other-4.heapsnapshot',
      ].sort(),
    );
    expect(readFileSync(join(dir, 'app-1.heapsnapshot'), 'utf8')).toBe('foreign replacement');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('notes!');
  });

  it('a name written twice counts once, at its latest write', () => {
    const dir = tempDir();
    own(dir, 'app-1.heapsnapshot');
    own(dir, 'app-2.heapsnapshot');
    own(dir, 'app-1.heapsnapshot', 'rewritten, longer content');
    expect(prune(dir, NAME, 1)).toEqual(['app-2.heapsnapshot']);
  });

  it('compacts the ledger to the files that still exist', () => {
    const dir = tempDir();
    for (let i = 1; i <= 40; i++) own(dir, `app-${i}.heapsnapshot`);
    prune(dir, NAME, 2);
    const lines = parseLedger(readFileSync(join(dir, LEDGER), 'utf8'));
    expect(lines.map((l) => l.name)).toEqual(['app-39.heapsnapshot', 'app-40.heapsnapshot']);
    expect(statSync(join(dir, LEDGER)).mode & 0o777).toBe(0o600);
  });

  it('without a ledger nothing is deleted', () => {
    const dir = tempDir();
    for (let i = 1; i <= 3; i++) writeFileSync(join(dir, `app-${i}.heapsnapshot`), '{}');
    expect(prune(dir, NAME, 1)).toEqual([]);
    expect(snapshotsIn(dir)).toHaveLength(3);
  });
});

describe('keep, end to end', () => {
  it('with keep, the addon records its generated names in the ledger, with inode and size', () => {
    const dir = tempDir();
    const { hw } = heapwatchWith();
    hw.configure({ dir, name: NAME, keep: 10 });
    let path = '';
    hw.writeSnapshot((_e, f) => (path = f!));
    hw.writeSnapshot(join(dir, 'named-by-caller.heapsnapshot'));
    const st = statSync(path, { bigint: true });
    expect(parseLedger(readFileSync(join(dir, LEDGER), 'utf8'))).toEqual([
      { ino: String(st.ino), size: String(st.size), name: path.slice(dir.length + 1) },
    ]);
  });

  it('keep=N from the environment: exactly N after a loop of writes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app-1.heapsnapshot'), 'foreign');
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['many', '6'],
      env: { NODE_HEAPDUMP_OPTIONS: `nosignal,dir=${dir},name=${NAME},keep=3` },
    });
    const names: string[] = await child.next('names', 30_000);
    await child.exited;
    expect(bySeq(snapshotsIn(dir))).toEqual([
      'app-1.heapsnapshot',
      ...names.slice(3).map((p) => p.slice(dir.length + 1)),
    ]);
  });

  it('configure({keep}) prunes what earlier processes left (a crash loop)', async () => {
    const dir = tempDir();
    for (let round = 0; round < 2; round++) {
      const child = start('prod-child.cjs', {
        cwd: dir,
        args: ['many', '2'],
        env: { NODE_HEAPDUMP_OPTIONS: `nosignal,dir=${dir},name=${NAME},keep=10` },
      });
      await child.exited;
    }
    expect(snapshotsIn(dir)).toHaveLength(4);
    const { hw } = heapwatchWith(`dir=${dir},name=${NAME}`);
    hw.configure({ keep: 1 });
    expect(snapshotsIn(dir)).toHaveLength(1);
  });

  it('signal snapshots are pruned as they are written', async () => {
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['idle'],
      env: { NODE_HEAPDUMP_OPTIONS: `dir=${dir},name=${NAME},keep=2` },
    });
    await child.next('ready');
    for (let i = 0; i < 3; i++) {
      child.signal('SIGUSR2');
      const e = await child.next('snapshot');
      expect(e.trigger).toBe('signal');
    }
    // Retention ran in the addon right after the write, before the event was queued.
    expect(snapshotsIn(dir)).toHaveLength(2);
    child.signal('SIGTERM');
    await child.exited;
  });
});
