// Hostile files at every path heapwatch writes or reads: the snapshot's own name (devices, FIFOs,
// sockets, links), its temporary name, a generated name, and the retention ledger. heapwatch must
// never replace, truncate, delete or trust a file it did not write, and never hang on one.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readSnapshot, result, snapshotsIn, start, tempDir, tempFilesIn } from '../helpers.js';

/** Runs `code` in a child with heapwatch (test/fixtures/script.cjs); returns its @result. */
const script = (cwd: string, code: string, env: Record<string, string> = {}) =>
  result('script.cjs', { cwd, args: [code], env, stderr: true });

const writeTo = (cwd: string, path: string) => script(cwd, `say('result', write(${JSON.stringify(path)}));`);

const mkfifo = (path: string) => execFileSync('mkfifo', [path]);

describe("the caller's path is not a regular file", () => {
  it('/dev/null is written into, and stays the null device', async () => {
    const before = statSync('/dev/null');
    const out = await writeTo(tempDir(), '/dev/null');
    expect(out).toEqual({ ret: true, calls: [{ err: null, name: '/dev/null' }] });
    const after = lstatSync('/dev/null');
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.rdev).toBe(before.rdev);
    expect(after.mode).toBe(before.mode);
  });

  it('a FIFO with a reader gets the whole snapshot in place, and stays a FIFO', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe.heapsnapshot');
    mkfifo(fifo);
    // A reader that has the FIFO open before the writer comes (O_NONBLOCK: no writer needed).
    const reader = new Socket({
      fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK),
      writable: false,
    });
    const chunks: Buffer[] = [];
    reader.on('data', (d) => chunks.push(d));
    const ended = new Promise((done) => reader.on('end', done));
    const out = await writeTo(dir, fifo);
    await ended;
    expect(out).toEqual({ ret: true, calls: [{ err: null, name: fifo }] });
    const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    expect(json.nodes.length).toBe(json.snapshot.node_count * json.snapshot.meta.node_fields.length);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('a FIFO nobody reads fails at once with ENXIO; one whose reader stalls fails within 5 s', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe.heapsnapshot');
    mkfifo(fifo);
    const alone = await writeTo(dir, fifo);
    expect(alone.ret).toBe(false);
    expect(alone.calls).toEqual([
      { err: expect.objectContaining({ code: 'ENXIO', syscall: 'open' }), name: undefined },
    ]);

    // A reader that opens and never reads: the pipe fills, then nothing moves.
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    onTestFinished(() => closeSync(fd));
    const started = Date.now();
    const stalled = await script(
      dir,
      `say('result', write(${JSON.stringify(fifo)}));
      const r = await heapwatch.snapshot({ filename: ${JSON.stringify(fifo)} }).catch((e) => e);
      say('promise', r);`,
    );
    expect(stalled.ret).toBe(false);
    expect(stalled.calls[0].err).toMatchObject({ code: 'ETIMEDOUT', syscall: 'write' });
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it("/dev/stdout (a link to the process's stdout, a pipe) is written into, and the link stays", async () => {
    const link = readlinkSync('/dev/stdout');
    const child = start('script.cjs', {
      cwd: tempDir(),
      args: [`const r = write('/dev/stdout'); process.stderr.write('@result ' + JSON.stringify(r) + '\\n');`],
      // Node's own child processes get a socket as stdout, which no open() can reopen (ENXIO,
      // as for any socket): give this one a pipe, as a shell pipeline or a supervisor would.
      shellPrefix: 'exec > >(cat);',
    });
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    const json = JSON.parse(exit.stdout);
    expect(json.snapshot.node_count).toBeGreaterThan(1000);
    expect(exit.stderr).toContain('"ret":true');
    expect(readlinkSync('/dev/stdout')).toBe(link);
  });

  it('a symbolic link to a file is refused (ELOOP) and neither the link nor the file changes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'precious'), 'not a snapshot');
    symlinkSync(join(dir, 'precious'), join(dir, 'link.heapsnapshot'));
    symlinkSync(join(dir, 'nothing'), join(dir, 'dangling.heapsnapshot'));
    symlinkSync(dir, join(dir, 'dirlink.heapsnapshot'));
    const out = await script(
      dir,
      `say('result', { file: write('link.heapsnapshot'), dangling: write('dangling.heapsnapshot'),
        dir: write('dirlink.heapsnapshot'),
        promise: await heapwatch.snapshot({ filename: 'link.heapsnapshot' }).catch((e) => e) });`,
    );
    expect(out.file.calls[0].err).toMatchObject({ code: 'ELOOP', message: 'heapdump write error ELOOP' });
    expect(out.dangling.calls[0].err).toMatchObject({ code: 'ELOOP' });
    expect(out.dir.calls[0].err).toMatchObject({ code: 'EISDIR' });
    expect(out.promise.message).toMatch(
      /: ELOOP \(a symbolic link to a file: heapwatch replaces files only under their own name\)$/,
    );
    expect(readFileSync(join(dir, 'precious'), 'utf8')).toBe('not a snapshot');
    expect(readlinkSync(join(dir, 'link.heapsnapshot'))).toBe(join(dir, 'precious'));
    expect(lstatSync(join(dir, 'dangling.heapsnapshot')).isSymbolicLink()).toBe(true);
    expect(() => lstatSync(join(dir, 'nothing'))).toThrow(/ENOENT/);
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('a block device and a socket are refused and left as they are', async () => {
    const dir = tempDir();
    const block = join(dir, 'disk.heapsnapshot');
    execFileSync('mknod', [block, 'b', '7', '200']);
    const socketPath = join(dir, 'sock.heapsnapshot');
    const server = createServer().listen(socketPath);
    await new Promise((done) => server.on('listening', done));
    onTestFinished(() => {
      server.close();
    });
    const out = await script(
      dir,
      `say('result', { block: write('disk.heapsnapshot'), socket: write('sock.heapsnapshot'),
        promise: await heapwatch.snapshot({ filename: 'disk.heapsnapshot' }).catch((e) => e) });`,
    );
    expect(out.block.calls[0].err).toMatchObject({ code: 'EINVAL' });
    expect(out.promise.message).toMatch(/: EINVAL \(a block device\)$/);
    expect(out.socket.calls[0].err).toMatchObject({ code: 'ENXIO' });
    expect(lstatSync(block).isBlockDevice()).toBe(true);
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('a regular file with a second hard link is replaced under its name only; the other keeps its content', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'old.heapsnapshot'), 'old');
    linkSync(join(dir, 'old.heapsnapshot'), join(dir, 'other-name'));
    const out = await writeTo(dir, 'old.heapsnapshot');
    expect(out.ret).toBe(true);
    readSnapshot(join(dir, 'old.heapsnapshot'));
    expect(readFileSync(join(dir, 'other-name'), 'utf8')).toBe('old');
  });
});

describe('temporary and generated names', () => {
  it("someone else's files at heapwatch's temporary names are skipped, never reused", async () => {
    const dir = tempDir();
    const out = await script(
      dir,
      `const fs = require('node:fs');
       for (let i = 1; i <= 5; i++) fs.writeFileSync('.heapwatch-' + process.pid + '-' + i + '.tmp', 'planted');
       say('result', write('x.heapsnapshot'));`,
    );
    expect(out.ret).toBe(true);
    readSnapshot(join(dir, 'x.heapsnapshot'));
    const planted = tempFilesIn(dir);
    expect(planted).toHaveLength(5);
    for (const f of planted) expect(readFileSync(join(dir, f), 'utf8')).toBe('planted');
  });

  it('a FIFO, a link or a file at a generated name is skipped: the next name is used', async () => {
    const dir = tempDir();
    mkfifo(join(dir, 'n-1.heapsnapshot'));
    symlinkSync('/etc/hostname', join(dir, 'n-2.heapsnapshot'));
    writeFileSync(join(dir, 'n-3.heapsnapshot'), 'mine');
    const out = await script(
      dir,
      `heapwatch.configure({ name: 'n-{seq}.heapsnapshot' }); say('result', write(undefined));`,
    );
    expect(out.ret).toBe(true);
    expect(out.calls[0].name).toMatch(/^n-([4-9]|\d{2,})\.heapsnapshot$/);
    expect(lstatSync(join(dir, 'n-1.heapsnapshot')).isFIFO()).toBe(true);
    expect(readlinkSync(join(dir, 'n-2.heapsnapshot'))).toBe('/etc/hostname');
    expect(readFileSync(join(dir, 'n-3.heapsnapshot'), 'utf8')).toBe('mine');
  });
});

describe('a planted retention ledger', () => {
  const NAME = 'app-{seq}.heapsnapshot';
  const LEDGER = '.heapwatch-ledger';

  /** Files named like heapwatch's, and a ledger line for each with its true inode and size. */
  function victims(dir: string, count: number): string {
    let lines = '';
    for (let i = 1; i <= count; i++) {
      const file = join(dir, `app-${i}.heapsnapshot`);
      writeFileSync(file, `someone else's file ${i}`);
      const st = statSync(file, { bigint: true });
      lines += `${st.ino} ${st.size} app-${i}.heapsnapshot\n`;
    }
    return lines;
  }

  /** configure({ keep: 1 }) there, a snapshot, and a signal snapshot: nothing planted is touched. */
  async function pruneWith(dir: string, expectDistrust: RegExp) {
    const child = start('script.cjs', {
      cwd: dir,
      args: [
        `heapwatch.configure({ dir: ${JSON.stringify(dir)}, name: '${NAME}', keep: 1 });
         say('written', write(undefined));
         heapwatch.on('snapshot', (e) => say('event', e));
         say('ready');
         setTimeout(() => {}, 60_000);`,
      ],
      timeoutMs: 60_000,
    });
    await child.waitFor('ready', 30_000);
    child.signal('SIGUSR2');
    const event = await child.next('event', 30_000);
    expect(event.trigger).toBe('signal');
    expect(event.error).toBeUndefined();
    await child.stderrMatches(expectDistrust);
    child.signal('SIGTERM');
    await child.exited;
    // One line per ledger, however many times it was met.
    expect(child.stderr.match(/not using .*\.heapwatch-ledger/g)).toHaveLength(1);
    return child.lines('written')[0];
  }

  const expectUntouched = (dir: string, count: number) => {
    for (let i = 1; i <= count; i++) {
      expect(readFileSync(join(dir, `app-${i}.heapsnapshot`), 'utf8')).toBe(`someone else's file ${i}`);
    }
  };

  it("owned by another user: named on stderr, left alone, and nobody's files deleted", async () => {
    const dir = tempDir();
    chmodSync(dir, 0o1777); // a shared sticky directory
    const planted = victims(dir, 3);
    writeFileSync(join(dir, LEDGER), planted, { mode: 0o644 });
    chownSync(join(dir, LEDGER), 65534, 65534);
    const written = await pruneWith(
      dir,
      /not using \S+\.heapwatch-ledger: it is owned by uid 65534, not by this process's user/,
    );
    expect(written.ret).toBe(true);
    expectUntouched(dir, 3);
    expect(readFileSync(join(dir, LEDGER), 'utf8')).toBe(planted);
    expect(statSync(join(dir, LEDGER)).uid).toBe(65534);
  });

  it('writable by others: distrusted', async () => {
    const dir = tempDir();
    const planted = victims(dir, 2);
    writeFileSync(join(dir, LEDGER), planted);
    chmodSync(join(dir, LEDGER), 0o666);
    await pruneWith(dir, /not using \S+: others can write to it \(mode 666\)/);
    expectUntouched(dir, 2);
    expect(readFileSync(join(dir, LEDGER), 'utf8')).toBe(planted);
  });

  it('a symbolic link, a hard link or a directory: distrusted, and what they point at unchanged', async () => {
    const elsewhere = tempDir();
    const target = join(elsewhere, 'passwd');
    writeFileSync(target, 'root:x:0:0\n');
    for (const [kind, plant, why] of [
      ['symlink', (l: string) => symlinkSync(target, l), /it is a symbolic link/],
      ['hardlink', (l: string) => linkSync(target, l), /it has 2 hard links/],
      ['directory', (l: string) => mkdirSync(l), /it is not a regular file/],
    ] as const) {
      const dir = tempDir();
      victims(dir, 2);
      plant(join(dir, LEDGER));
      await pruneWith(dir, why);
      expectUntouched(dir, 2);
      expect(readFileSync(target, 'utf8'), kind).toBe('root:x:0:0\n');
    }
  });

  it('a FIFO: never blocks the start-up pass, an API snapshot or a signal snapshot', async () => {
    const dir = tempDir();
    victims(dir, 2);
    mkfifo(join(dir, LEDGER));
    await pruneWith(dir, /not using \S+\.heapwatch-ledger: it is not a regular file/);
    expectUntouched(dir, 2);
    expect(lstatSync(join(dir, LEDGER)).isFIFO()).toBe(true);
  });

  it('its own ledger, 0600, works as before: the oldest of its own go, the planted files stay', async () => {
    const dir = tempDir();
    victims(dir, 2);
    const out = await script(
      dir,
      `heapwatch.configure({ dir: ${JSON.stringify(dir)}, name: 'own-{seq}.heapsnapshot', keep: 2 });
       for (let i = 0; i < 4; i++) write(undefined);
       say('result', require('node:fs').readdirSync('.').sort());`,
    );
    expect(out.filter((f: string) => f.startsWith('own-'))).toHaveLength(2);
    expectUntouched(dir, 2);
    expect(statSync(join(dir, LEDGER)).mode & 0o777).toBe(0o600);
    expect(snapshotsIn(dir)).toHaveLength(4);
  });
});
