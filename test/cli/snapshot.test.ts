// heapwatch snapshot <pid>: a busy process answers with a complete file where its run-time
// settings say; processes that would not answer are left alone, each refusal with its own code.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSnapshot, start, tempDir } from '../helpers.js';
import { CLI, CLI_FIXTURES, heapwatch } from './helpers.js';

const target = (mode: string, dir: string, options: { testAddon?: boolean } = {}) =>
  start(join(CLI_FIXTURES, 'snapshot-target.cjs'), {
    cwd: dir,
    args: [mode, dir],
    timeoutMs: 60_000,
    ...options,
  });

/**
 * A node binary that another user may run: this one, unless it lives under a private directory
 * (the Node matrix runs from ~/.cache), else the first other `node` on PATH that can be.
 */
function nodeForOthers(): string {
  const runnable = (file: string) => {
    for (let p = file; p !== dirname(p); p = dirname(p)) {
      if ((statSync(p).mode & 0o001) === 0) return false;
    }
    return true;
  };
  const candidates = [
    process.execPath,
    ...execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n'),
  ];
  const found = candidates.find((c) => c !== '' && runnable(realpathSync(c)));
  if (found === undefined)
    throw new Error(`no node binary that another user may run: ${candidates.join(', ')}`);
  return found;
}

describe('heapwatch snapshot <pid>', () => {
  it('asks a process busy in JavaScript, with its run-time dir and name, and prints the complete file', async () => {
    const dir = tempDir();
    const child = target('busy', dir);
    await child.waitFor('ready');
    const run = await heapwatch(['snapshot', String(child.process.pid), '--quiet']);
    expect(run, run.stderr).toMatchObject({ code: 0, signal: null });
    const path = run.stdout.trim();
    expect(path).toMatch(new RegExp(`^${dir}/target-${child.process.pid}-\\d+\\.heapsnapshot$`));
    expect(readSnapshot(path).strings).toContain('SnapshotTargetMarker');
    // Written while the loop ran: the loop saw the file and ended.
    await child.waitFor('alive', 40_000);
    expect(readdirSync(dir).filter((f) => f.startsWith('.heapwatch-'))).toEqual([]);
  });

  it('--json gives the path, size and time', async () => {
    const dir = tempDir();
    const child = target('busy', dir);
    await child.waitFor('ready');
    const run = await heapwatch(['snapshot', String(child.process.pid), '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toEqual({
      pid: child.process.pid,
      path: expect.stringMatching(/\.heapsnapshot$/),
      bytes: expect.any(Number),
      ms: expect.any(Number),
    });
    expect(out.bytes).toBeGreaterThan(100_000);
  });

  it('refuses, sending nothing, a process without heapwatch; the process lives on', async () => {
    const dir = tempDir();
    const child = target('plain', dir);
    await child.waitFor('ready');
    const run = await heapwatch(['snapshot', String(child.process.pid)]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/has not loaded heapwatch .*nothing was sent/);
    expect(run.stderr).toMatch(/would end it/);
    expect(child.process.exitCode).toBeNull();
    expect(child.process.signalCode).toBeNull();
    // Still alive and answering: a signal now (SIGUSR2's default) would end it, so send a harmless one.
    expect(() => process.kill(child.process.pid!, 0)).not.toThrow();
  });

  it('refuses a process whose snapshot signal is off', async () => {
    const dir = tempDir();
    const child = target('nosignal', dir);
    await child.waitFor('ready');
    const run = await heapwatch(['snapshot', String(child.process.pid)]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/snapshot signal off .*nothing was sent/);
    expect(child.process.exitCode).toBeNull();
  });

  it('no such process: 4; not allowed to signal it: 5', async () => {
    const gone = start(join(CLI_FIXTURES, 'snapshot-target.cjs'), { cwd: tempDir(), args: ['plain'] });
    await gone.waitFor('ready');
    const pid = gone.process.pid!;
    gone.signal('SIGKILL');
    await gone.exited;
    const none = await heapwatch(['snapshot', String(pid)]);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(new RegExp(`there is no process ${pid}`));

    // A root process, asked by an unprivileged user.
    const dir = tempDir();
    const child = target('busy', dir);
    await child.waitFor('ready');
    const { spawnSync } = await import('node:child_process');
    const asNobody = spawnSync(nodeForOthers(), [CLI, 'snapshot', String(child.process.pid)], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(asNobody.status, asNobody.stderr).toBe(5);
    expect(asNobody.stderr).toMatch(/not allowed to signal process \d+ \(EPERM\)/);
  });

  it('a process blocked in a system call: no snapshot within --timeout, exit 6', async () => {
    const dir = tempDir();
    const child = target('blocked', dir);
    await child.waitFor('ready');
    const run = await heapwatch(['snapshot', String(child.process.pid), '--timeout', '2s']);
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/no snapshot from process \d+ within 2 s/);
    expect(run.stderr).toMatch(/blocked in a system call/);
  });

  it('on a terminal, says what it waits for: the seconds, then the bytes written so far', async () => {
    const dir = tempDir();
    const child = target('blocked-big', dir);
    await child.waitFor('ready');
    const pid = child.process.pid;
    // script(1) gives the command a terminal; the target answers once its stdin ends.
    const cli = spawn(
      'script',
      ['-qec', `'${process.execPath}' '${CLI}' snapshot ${pid} --timeout 60s > '${dir}/out'`, '/dev/null'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let screen = '';
    cli.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      screen += chunk;
      if (screen.includes(`waiting for process ${pid}'s snapshot (1 s)`)) child.process.stdin!.end();
    });
    const status = await new Promise((done) => cli.on('close', done));
    expect(status, screen).toBe(0);
    const lines = screen.split(/\r|\n/).map((l) => l.replaceAll('\x1b[K', ''));
    expect(lines).toContain(`waiting for process ${pid}'s snapshot (1 s)`);
    // While the target writes, its temporary file shows how far it got.
    expect(
      lines.some((l) => /snapshot \(\d+ s, (building the graph|[\d.]+ [KM]iB written)\)$/.test(l)),
      screen,
    ).toBe(true);
    expect(readFileSync(`${dir}/out`, 'utf8')).toMatch(/\.heapsnapshot\n$/);
  }, 90_000);

  it('the process answers and its disk guard refuses: exit 7 with the reason', async () => {
    const dir = tempDir();
    const child = target('full', dir, { testAddon: true });
    await child.waitFor('ready');
    const run = await heapwatch(['snapshot', String(child.process.pid), '--timeout', '30s']);
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(
      /could not write the snapshot: could not write heap snapshot to \S+: ENOSPC \(the snapshot needs at least/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a bad pid is a usage error', async () => {
    const run = await heapwatch(['snapshot', 'abc']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/<pid> must be a process id/);
  });
});
