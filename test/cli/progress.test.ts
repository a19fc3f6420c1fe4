// The progress reporter on a terminal and elsewhere, with a clock of the test's own.
import { describe, expect, it } from 'vitest';
import { createProgress, describeSteps, formatBytes } from '../../src/cli/progress.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return {
    writes,
    isTTY,
    columns: 100,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  } as unknown as NodeJS.WritableStream & { isTTY: boolean; columns: number; writes: string[] };
}

describe('progress', () => {
  it('on a terminal: nothing for the first second, then one line redrawn in place, cleared at the end', () => {
    let t = 0;
    const out = stream(true);
    const p = createProgress({ stream: out, label: 'heapwatch summary', now: () => t });
    p.update('parse big.heapsnapshot', 0, 100 * 1048576, 'bytes');
    t = 500;
    p.update('parse big.heapsnapshot', 10 * 1048576, 100 * 1048576, 'bytes');
    expect(out.writes).toEqual([]);
    t = 1200;
    p.update('parse big.heapsnapshot', 45 * 1048576, 100 * 1048576, 'bytes');
    expect(out.writes).toEqual([
      '\rheapwatch summary: parse big.heapsnapshot  45%  45.0 MiB of 100.0 MiB  1.20 s\x1b[K',
    ]);
    // Throttled: 50 ms later nothing; a new step draws at once.
    t = 1250;
    p.update('parse big.heapsnapshot', 50 * 1048576, 100 * 1048576, 'bytes');
    expect(out.writes).toHaveLength(1);
    p.update('dominators', 1, 6, 'steps');
    expect(out.writes[1]).toBe('\rheapwatch summary: dominators  1/6  1.25 s\x1b[K');
    t = 2000;
    p.finish((steps) => `done: ${describeSteps(steps)}`);
    expect(out.writes.slice(2)).toEqual([
      '\r\x1b[K',
      'done: parse big.heapsnapshot 1.25 s, dominators 0.75 s\n',
    ]);
  });

  it('elsewhere: nothing while it runs, one line at the end', () => {
    let t = 0;
    const out = stream(false);
    const p = createProgress({ stream: out, label: 'x', now: () => t });
    for (t = 0; t < 5000; t += 100) p.update('parse', t, 5000, 'bytes');
    expect(out.writes).toEqual([]);
    p.finish('x: done');
    expect(out.writes).toEqual(['x: done\n']);
  });

  it('quiet: nothing at all; a failure clears the line and says nothing', () => {
    let t = 0;
    const quiet = stream(true);
    const p = createProgress({ stream: quiet, label: 'x', quiet: true, now: () => t });
    t = 5000;
    p.update('parse', 1, 2);
    p.finish('never');
    expect(quiet.writes).toEqual([]);
    const tty = stream(true);
    const q = createProgress({ stream: tty, label: 'x', now: () => t });
    t = 7000;
    q.update('parse', 1, 2, 'steps');
    q.fail();
    q.finish('after the failure');
    expect(tty.writes).toEqual(['\rx: parse  1/2  2.00 s\x1b[K', '\r\x1b[K']);
  });

  it('cuts the line to the terminal, so that it never wraps', () => {
    let t = 2000;
    const out = stream(true);
    (out as { columns: number }).columns = 30;
    const p = createProgress({ stream: out, label: 'heapwatch summary', now: () => t });
    t = 3000;
    p.update('parse a-very-long-file-name.heapsnapshot', 1, 2, 'steps');
    expect(out.writes).toEqual(['\rheapwatch summary: parse a-ve\x1b[K']);
  });

  it('sizes read as people read them', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(3.5 * 1048576)]).toEqual([
      '512 B',
      '1.5 KiB',
      '3.5 MiB',
    ]);
  });
});
