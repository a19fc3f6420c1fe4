// Signals at the edges of a process's life: a storm while heapwatch loads and while the process
// ends on its own. Once heapwatch has loaded, the snapshot signal never ends a process.
import { describe, expect, it } from 'vitest';
import { start, tempDir } from '../helpers.js';

/**
 * Sends SIGUSR2 to the child every `everyMs` until it exits, or until `stop.ms` after the child's
 * `@<stop.after>` line: each signal's failed snapshot is reported on stderr and as an event, so a
 * storm faster than a loaded machine lets the child handle it keeps its loop busy, as any stream
 * of events would. Returns how many were sent.
 */
function storm(
  child: ReturnType<typeof start>,
  everyMs: number,
  stop: { after: string; ms: number } = { after: '', ms: Infinity },
): Promise<number> {
  let sent = 0;
  let seenAt = 0;
  const timer = setInterval(() => {
    if (seenAt === 0 && stop.after !== '' && child.lines(stop.after).length > 0) seenAt = Date.now();
    if (seenAt !== 0 && Date.now() - seenAt > stop.ms) clearInterval(timer);
    else if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGUSR2');
      sent++;
    }
  }, everyMs);
  return child.exited.then(() => {
    clearInterval(timer);
    return sent;
  });
}

// Each signal asks for a snapshot; in /proc that fails at once (no file can be made there), so the
// storm costs next to nothing and the test is about the signal alone.
const CHEAP = { NODE_HEAPDUMP_OPTIONS: 'dir=/proc/self' };

describe('the snapshot signal while the process ends', () => {
  it('15 processes that exit on their own under a SIGUSR2 storm all exit 0', async () => {
    const runs = Array.from({ length: 15 }, async (_, i) => {
      const child = start('script.cjs', {
        cwd: tempDir(),
        // Some work, then a natural exit (nothing left on the loop) at a different moment each.
        args: [
          `say('ready'); let x = 0; for (let k = 0; k < ${2e6 + i * 3e5}; k++) x += k; say('done', x > 0);`,
        ],
        env: CHEAP,
        timeoutMs: 60_000,
      });
      await child.waitFor('ready', 30_000);
      // Stormed through its exit on an idle machine; on a loaded one, left to finish after 1 s.
      const sent = await storm(child, 1, { after: 'done', ms: 1000 });
      const exit = await child.exited;
      return { code: exit.code, signal: exit.signal, sent, done: child.lines('done').length };
    });
    const results = await Promise.all(runs);
    for (const r of results)
      expect(r, JSON.stringify(results)).toMatchObject({ code: 0, signal: null, done: 1 });
    expect(results.reduce((n, r) => n + r.sent, 0)).toBeGreaterThan(15);
  });

  it('process.exit() under a SIGUSR2 storm exits with its code', async () => {
    const runs = Array.from({ length: 5 }, async () => {
      const child = start('script.cjs', {
        cwd: tempDir(),
        args: [`say('ready'); setTimeout(() => process.exit(7), 300);`],
        env: CHEAP,
      });
      await child.waitFor('ready', 30_000);
      await storm(child, 1);
      return (await child.exited).code;
    });
    expect(await Promise.all(runs)).toEqual([7, 7, 7, 7, 7]);
  });
});

describe('the snapshot signal while heapwatch loads', () => {
  it('a storm from before require() to after it: handled from the moment require() returns', async () => {
    const dir = tempDir();
    const child = start('load-under-signals.cjs', { cwd: dir, env: CHEAP, timeoutMs: 60_000 });
    await child.waitFor('guarded', 30_000);
    // Through the load and past @end; on a loaded machine, left to finish 1 s after @end.
    const sent = storm(child, 2, { after: 'end', ms: 1000 });
    expect(await child.exited).toMatchObject({ code: 0, signal: null });
    expect(child.lines('loaded')).toHaveLength(1);
    expect(child.lines('end')).toHaveLength(1);
    expect(await sent).toBeGreaterThan(10);
  });
});
