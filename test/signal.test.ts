// The snapshot signal: heapdump's signal test and what heapwatch adds (busy loops, storms, user
// listeners, other signals), and NODE_HEAPDUMP_OPTIONS's signal items as a process reads them.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, test } from 'vitest';
import {
  heapdumpsIn,
  heapwatchWith,
  readSnapshot,
  run,
  SNAPSHOT_NAME,
  snapshotsIn,
  start,
  tempDir,
  tempFilesIn,
  until,
} from './helpers.js';

/** Paces the signals a test sends (not a wait for anything). */
const pace = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

interface SnapshotEventJson {
  path: string;
  bytes: number;
  durationMs: number;
  trigger: string;
  receivedAt: number;
  error?: { message: string; code: string };
}

const STDERR_LINE = /^heapwatch: wrote (\S+) \((\d+\.\d) MB in (\d+) ms, signal\)$/;
const stderrLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('heapwatch:'));

/** Start time of a default-named snapshot, in ms since the epoch, from its name. */
function nameTime(file: string): number {
  const [, sec, usec] = /heapdump-(\d+)\.(\d+)\.heapsnapshot$/.exec(file)!;
  return Number(sec) * 1000 + Number(usec) / 1000;
}

describe('SIGUSR2', () => {
  test('kill -USR2 from outside: one complete heapdump-*.heapsnapshot in cwd within 500 ms, mode 0600', async () => {
    const cwd = tempDir();
    const child = start('signal-target.cjs', { cwd });
    await child.waitFor('ready');
    const signalledAt = Date.now();
    child.signal('SIGUSR2');
    // heapdump's test: wait 500 ms, expect exactly one file. The snapshot itself is V8's work and
    // takes ~250 ms here when idle; on a loaded shared machine it can take longer, so the test
    // records when the file appeared and holds heapwatch to what it controls (see below).
    let seenAt = 0;
    await until(
      () => {
        if (seenAt === 0 && heapdumpsIn(cwd).length > 0) seenAt = Date.now();
        return seenAt !== 0 && Date.now() - signalledAt >= 500;
      },
      10_000,
      'a snapshot file',
    );
    const files = heapdumpsIn(cwd);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(SNAPSHOT_NAME);
    const file = join(cwd, files[0]!);
    expect(readSnapshot(file).strings).toContain('SignalTargetMarker');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(tempFilesIn(cwd)).toEqual([]);

    await child.waitFor('event');
    expect(child.lines<SnapshotEventJson>('event')).toEqual([
      expect.objectContaining({ path: file, bytes: statSync(file).size, trigger: 'signal' }),
    ]);
    // The snapshot starts at once, and the file is there as soon as V8 is done: within 500 ms
    // unless V8 alone took longer than that.
    const [event] = child.lines<SnapshotEventJson>('event');
    const startDelay = nameTime(file) - signalledAt;
    expect(startDelay).toBeLessThan(150);
    expect(seenAt - signalledAt).toBeLessThanOrEqual(Math.max(500, startDelay + event!.durationMs + 150));
    child.process.stdin!.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
    expect(heapdumpsIn(cwd)).toHaveLength(1);
  });

  test('a process busy in a synchronous loop writes a complete snapshot before the loop ends', async () => {
    const cwd = tempDir();
    const child = start('signal-target.cjs', { cwd });
    await child.waitFor('ready');
    child.send('busy 5000');
    await child.waitFor('loop-start');
    const signalledAt = Date.now();
    child.signal('SIGUSR2');

    // The file must appear, and parse, while the child is still looping.
    await until(() => heapdumpsIn(cwd).length > 0 || child.lines('loop-end').length > 0, 10_000, 'a file');
    const files = heapdumpsIn(cwd);
    expect(files, `loop ended first; stderr: ${child.stderr}`).toHaveLength(1);
    const file = join(cwd, files[0]!);
    expect(readSnapshot(file).strings).toContain('SignalTargetMarker');
    expect(child.lines('loop-end'), 'the loop ended before the file was checked').toEqual([]);
    expect(Date.now() - signalledAt).toBeLessThan(4500);

    await child.waitFor('loop-end', 15_000);
    const [loop] = child.lines('loop-end');
    // The child saw the file itself from inside the loop.
    expect(loop.sawFileAt).toBeGreaterThanOrEqual(0);
    expect(loop.sawFileAt).toBeLessThan(loop.ms);

    // The outcome reaches JavaScript afterwards, as the 'snapshot' event.
    await child.waitFor('event');
    const events = child.lines<SnapshotEventJson>('event');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ path: file, bytes: statSync(file).size, trigger: 'signal' });
    expect(events[0]!.durationMs).toBeGreaterThan(0);

    // One stderr line names the file, its size and the duration.
    await until(() => stderrLines(child.stderr).length > 0, 5000, 'the stderr line');
    const lines = stderrLines(child.stderr);
    expect(lines).toHaveLength(1);
    const match = STDERR_LINE.exec(lines[0]!);
    expect(match, lines[0]).not.toBeNull();
    expect(match![1]).toBe(file);
    expect(Number(match![2])).toBeCloseTo(statSync(file).size / 1024 / 1024, 1);
    expect(Math.abs(Number(match![3]) - events[0]!.durationMs)).toBeLessThanOrEqual(1);

    child.process.stdin!.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
  });

  test('a storm of 20 signals in 200 ms: survives, coalesces, one snapshot at a time, all complete', async () => {
    const cwd = tempDir();
    const child = start('signal-target.cjs', { cwd });
    await child.waitFor('ready');
    for (let i = 0; i < 20; i++) {
      child.signal('SIGUSR2');
      await pace(10);
    }
    // Wait until every file written has its event and nothing new came for a while.
    let last = '';
    let stableSince = Date.now();
    await until(
      () => {
        const now = `${heapdumpsIn(cwd).length}/${child.lines('event').length}`;
        if (now !== last) {
          last = now;
          stableSince = Date.now();
        }
        const files = heapdumpsIn(cwd).length;
        return files > 0 && child.lines('event').length === files && Date.now() - stableSince > 1500;
      },
      20_000,
      'the storm to settle',
    );
    expect(child.process.exitCode).toBeNull();
    expect(child.process.signalCode).toBeNull();

    const files = heapdumpsIn(cwd).sort();
    expect(files.length).toBeGreaterThanOrEqual(1);
    expect(files.length).toBeLessThan(20);
    for (const f of files) readSnapshot(join(cwd, f));
    expect(tempFilesIn(cwd)).toEqual([]);
    expect(readdirSync(cwd).length).toBe(files.length);

    const events = child.lines<SnapshotEventJson>('event');
    expect(events.every((e) => e.trigger === 'signal' && e.error === undefined)).toBe(true);
    expect(events.map((e) => e.path).sort()).toEqual(files.map((f) => join(cwd, f)));
    // At most one at a time: each snapshot starts after the previous one ended.
    const spans = events
      .map((e) => ({ start: nameTime(e.path), end: nameTime(e.path) + e.durationMs }))
      .sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end - 1);
    }
    await until(() => stderrLines(child.stderr).length >= files.length, 5000, 'the stderr lines');
    expect(stderrLines(child.stderr)).toHaveLength(files.length);

    child.process.stdin!.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
  });

  test("a user's own process.on('SIGUSR2') listener still runs alongside the snapshot", async () => {
    const cwd = tempDir();
    const child = start('signal-target.cjs', { cwd, args: ['user-listener'] });
    await child.waitFor('ready');
    child.signal('SIGUSR2');
    await child.waitFor('user-listener');
    await child.waitFor('event');
    expect(child.lines('user-listener')).toHaveLength(1);
    expect(heapdumpsIn(cwd)).toHaveLength(1);
    child.process.stdin!.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
  });

  test("removing a user's SIGUSR2 listener leaves heapwatch's handler in place", async () => {
    const cwd = tempDir();
    const child = start('signal-target.cjs', { cwd, args: ['listener-removed'] });
    await child.waitFor('ready');
    child.signal('SIGUSR2');
    await child.waitFor('event');
    expect(heapdumpsIn(cwd)).toHaveLength(1);
    child.process.stdin!.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
  });

  test('configure({ signal: false }) stops signal snapshots; { signal: true } brings them back', async () => {
    const cwd = tempDir();
    const child = start('signal-target.cjs', { cwd, args: ['user-listener'] });
    await child.waitFor('ready');
    child.send('configure {"signal":false}');
    await child.waitFor('configured');
    child.signal('SIGUSR2');
    // The signal reached the process (its own listener ran); an API snapshot after it runs any
    // interrupt heapwatch could have had pending. Only the API snapshot may exist.
    await child.waitFor('user-listener');
    child.send('write 1');
    await child.waitFor('written');
    expect(readdirSync(cwd)).toEqual(['api-0.heapsnapshot']);
    expect(child.lines('event')).toEqual([]);
    rmSync(join(cwd, 'api-0.heapsnapshot'));

    child.send('configure {"signal":true,"dir":"out"}');
    await until(() => child.lines('configured').length === 2, 10_000, 'the second configure');
    // configure() created out/ (0700); take it away again: the failure is reported as an event
    // and on stderr.
    expect(statSync(join(cwd, 'out')).mode & 0o777).toBe(0o700);
    rmSync(join(cwd, 'out'), { recursive: true });
    child.signal('SIGUSR2');
    await child.waitFor('event');
    const [failed] = child.lines<SnapshotEventJson>('event');
    expect(failed).toMatchObject({ trigger: 'signal', error: { code: 'ENOENT' } });
    await until(() => stderrLines(child.stderr).length > 0, 5000, 'the stderr line');
    expect(stderrLines(child.stderr)).toEqual([
      expect.stringMatching(/^heapwatch: could not write .*ENOENT.*signal/),
    ]);
    expect(readdirSync(cwd)).toEqual([]);

    mkdirSync(join(cwd, 'out'));
    child.signal('SIGUSR2');
    await until(() => child.lines('event').length === 2, 10_000, 'the second event');
    const [, ok] = child.lines<SnapshotEventJson>('event');
    expect(ok!.path).toBe(join(cwd, 'out', heapdumpsIn(join(cwd, 'out'))[0]!));
    readSnapshot(ok!.path);
    child.process.stdin!.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
  });

  test('the event reports where the file went even if cwd changed before it was delivered', async () => {
    const cwd = tempDir();
    const child = start('signal-target.cjs', { cwd });
    await child.waitFor('ready');
    child.send('busy 3000 chdir');
    await child.waitFor('loop-start');
    child.signal('SIGUSR2');
    await child.waitFor('event', 15_000);
    const [file] = heapdumpsIn(cwd);
    expect(file).toBeDefined();
    const [event] = child.lines<SnapshotEventJson>('event');
    expect(event!.path).toBe(join(cwd, file!));
    child.process.stdin!.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
  });

  test('signals during back-to-back API snapshots: no crash, no nesting, every file complete', async () => {
    const cwd = tempDir();
    const child = start('signal-target.cjs', { cwd });
    await child.waitFor('ready');
    child.send('write 6');
    let sent = 0;
    while (child.lines('written').length === 0 && sent < 200) {
      child.signal('SIGUSR2');
      sent++;
      await pace(20);
    }
    await child.waitFor('written', 20_000);
    expect(child.lines('written')[0]).toEqual([true, true, true, true, true, true]);
    // The process ends once stdin does, having delivered every event it had (heapwatch delays
    // exit for what already happened): then every signal file has its event.
    child.process.stdin!.end();
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
    expect(child.lines('event')).toHaveLength(heapdumpsIn(cwd).length);
    for (const f of readdirSync(cwd)) readSnapshot(join(cwd, f));
    expect(tempFilesIn(cwd)).toEqual([]);
  });
});

describe('signal=<NAME>', () => {
  it.each(['SIGHUP', 'SIGWINCH'])('%s writes a snapshot during a busy loop', async (sig) => {
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['busy', '15000'],
      env: { NODE_HEAPDUMP_OPTIONS: `signal=${sig},dir=${dir}` },
    });
    const settings = await child.next('settings');
    expect(settings.signalName).toBe(sig);
    await child.next('busy');
    child.signal(sig as NodeJS.Signals);
    const done = await child.next('done', 20_000);
    expect(done.files).toHaveLength(1); // seen by the loop itself: written while JS was busy
    expect(done.ms).toBeLessThan(15_000);
    const e = await child.next('snapshot');
    expect(e.trigger).toBe('signal');
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    expect(snapshotsIn(dir)).toHaveLength(1);
  });

  it('signal=SIGURG from the environment, idle process', async () => {
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['idle'],
      env: { NODE_HEAPDUMP_OPTIONS: `signal=SIGURG,dir=${dir}` },
    });
    await child.next('ready');
    child.signal('SIGURG');
    expect((await child.next('snapshot')).trigger).toBe('signal');
    child.signal('SIGTERM');
    await child.exited;
  });

  it('SIGUSR1 is refused: configure throws, the env item is named on stderr and SIGUSR2 stays', async () => {
    const { hw } = heapwatchWith();
    expect(() => hw.configure({ signal: 'SIGUSR1' })).toThrow(
      'Expected a boolean or one of SIGUSR2, SIGHUP, SIGWINCH, SIGURG, SIGPWR for `options.signal` but received "SIGUSR1" (string): Node\'s inspector uses SIGUSR1 (it starts the debugger)',
    );
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['idle'],
      env: { NODE_HEAPDUMP_OPTIONS: `signal=SIGUSR1,dir=${dir}` },
    });
    const settings = await child.next('settings');
    expect(settings).toMatchObject({ signal: true, signalName: 'SIGUSR2' });
    // stderr and stdout reach the parent separately: wait for the line rather than race it.
    const refused = /ignoring NODE_HEAPDUMP_OPTIONS item "signal=SIGUSR1": .*Node's inspector uses SIGUSR1/;
    await until(() => refused.test(child.stderr), 5000, 'the refusal on stderr');
    await child.next('ready');
    child.signal('SIGUSR2');
    expect((await child.next('snapshot')).trigger).toBe('signal');
    child.signal('SIGTERM');
    await child.exited;
  });
});

async function signalWith(options: string) {
  const cwd = tempDir();
  const child = start('signal-target.cjs', { cwd, env: { NODE_HEAPDUMP_OPTIONS: options } });
  await child.waitFor('ready');
  child.signal('SIGUSR2');
  return { cwd, child };
}

async function expectKilledWithoutFile(options: string) {
  const { cwd, child } = await signalWith(options);
  // Nothing handles SIGUSR2: its default action ends the process, and no file is written.
  const exit = await child.exited;
  expect(exit).toMatchObject({ code: null, signal: 'SIGUSR2' });
  expect(readdirSync(cwd)).toEqual([]);
}

async function expectSnapshot(options: string) {
  const { cwd, child } = await signalWith(options);
  await child.waitFor('event');
  expect(heapdumpsIn(cwd)).toHaveLength(1);
  child.process.stdin!.end();
  const exit = await child.exited;
  expect(exit).toMatchObject({ code: 0, signal: null });
  return exit;
}

const notices = (stderr: string) => stderr.split('\n').filter((l) => l.includes('NODE_HEAPDUMP_OPTIONS'));

describe('NODE_HEAPDUMP_OPTIONS', () => {
  test('nosignal: no handler is installed, SIGUSR2 keeps its default action', async () => {
    await expectKilledWithoutFile('nosignal');
  });

  test('signal,nosignal: the last one wins (off)', async () => {
    await expectKilledWithoutFile('signal,nosignal');
  });

  test('nosignal,signal: the last one wins (on)', async () => {
    const exit = await expectSnapshot('nosignal,signal');
    expect(notices(exit.stderr)).toEqual([]);
  });

  test('blanks around commas are ignored', async () => {
    await expectSnapshot('  nosignal ,  signal  ');
    await expectKilledWithoutFile(' signal , nosignal ');
  });

  test('fork and nofork print a one-line notice and change nothing else', async () => {
    for (const item of ['fork', 'nofork']) {
      const exit = await expectSnapshot(item);
      const lines = notices(exit.stderr);
      expect(lines, item).toHaveLength(1);
      expect(lines[0]).toMatch(/fork/);
      expect(lines[0]).toMatch(/in-process/);
    }
  });

  test('an unknown item is named on stderr in one line and ignored', async () => {
    const exit = await expectSnapshot('bogus,signal');
    const lines = notices(exit.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"bogus"/);
  });

  test('a misspelled item gets a hint and the rest still applies', async () => {
    const { cwd, child } = await signalWith('nosignl,nosignal');
    expect(await child.exited).toMatchObject({ signal: 'SIGUSR2' });
    const lines = notices(child.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"nosignl".*did you mean "nosignal"/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  test('notices are printed once per process, not again for every worker that loads heapwatch', async () => {
    const cwd = tempDir();
    const exit = await run('warnings-in-workers.cjs', { cwd, env: { NODE_HEAPDUMP_OPTIONS: 'bogus,fork' } });
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(exit.stdout).toContain('@done');
    const lines = notices(exit.stderr);
    expect(lines.filter((l) => l.includes('"bogus"'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('fork'))).toHaveLength(1);
  });
});
