// heapwatch leaks: the three-snapshot method on a planted leak among churn and a cache.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_FIXTURES, heapwatch, runNode } from './helpers.js';

describe('heapwatch leaks', () => {
  let dir = '';
  let files: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'heapwatch-test-'));
    const run = await runNode(join(CLI_FIXTURES, 'leak-scenario.cjs'), [dir]);
    expect(run.code, run.stderr).toBe(0);
    files = ['a', 'b', 'c'].map((f) => join(dir, `${f}.heapsnapshot`));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ranks the planted leak first and does not report the cache', async () => {
    const run = await heapwatch(['leaks', ...files, '--json', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    const [first] = r.groups;
    expect(first.what).toBe('Session');
    expect(first.count).toBe(300);
    expect(first.later).toBe(300);
    expect(first.path).toMatch(/sessions \(property\) > Map > table \(internal\) > .*> Session$/);
    // Each Session retains its user, history and strings: more than its own 40 bytes or so.
    expect(first.retainedBytes).toBeGreaterThan(300 * 100);
    for (const g of r.groups) {
      expect(g.path).not.toMatch(/cache \(property\)|CacheEntry|Request/);
    }
    // The cache was made between a and b and is alive in c, but stopped growing: counted apart.
    expect(r.settled.count).toBeGreaterThanOrEqual(500);
    expect(r.candidates).toBeGreaterThan(300 + 500);
  }, 60_000);

  it('says it in words, with an example path', async () => {
    const run = await heapwatch(['leaks', ...files]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^Leak suspects, by retained size \(paths that kept growing after b\.heapsnapshot\):$/m,
    );
    expect(run.stdout).toMatch(
      /^ {3}1\. 300 x Session, [\d.]+ KiB retained, \+300 more after b\.heapsnapshot$/m,
    );
    expect(run.stdout).toMatch(
      /^Not reported: [\d,]+ objects .* stopped growing after b\.heapsnapshot, such as a cache/m,
    );
    expect(run.stderr).toMatch(
      /^heapwatch leaks: parse a\.heapsnapshot .* dominators .* \([\d.]+ s in all\)\n$/,
    );
  }, 60_000);

  it('finds nothing to report when the same snapshot is given three times', async () => {
    const run = await heapwatch(['leaks', files[2]!, files[2]!, files[2]!, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^0 objects made between/);
    expect(run.stdout).toMatch(/no leak suspects/);
  }, 60_000);
});
