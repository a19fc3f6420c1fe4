// NODE_HEAPDUMP_OPTIONS in child processes: read once at load, last of signal/nosignal wins.
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { run, sleep, snapshotsIn, start, tempDir } from './helpers.js';

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
  await sleep(200);
  expect(readdirSync(cwd)).toEqual([]);
}

async function expectSnapshot(options: string) {
  const { cwd, child } = await signalWith(options);
  await child.waitFor('event');
  expect(snapshotsIn(cwd)).toHaveLength(1);
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
