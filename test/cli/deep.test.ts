// A linked list of a million objects: the dominator tree is a million deep, and nothing in the
// reader, the dominator tree or the paths may recurse.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { CLI, heapwatch, SNAPSHOT_META } from './helpers.js';

const LINKS = 1_000_000;
const SELF = 32;

/** root -> Link 0 -> Link 1 -> ... -> Link 999,999, each 32 bytes, written without V8. */
function writeList(file: string, LINKS = 1_000_000) {
  const fd = openSync(file, 'w');
  const meta = SNAPSHOT_META;
  writeSync(
    fd,
    `{"snapshot":${JSON.stringify({ meta, node_count: LINKS + 1, edge_count: LINKS })},\n"nodes":[4,0,1,0,1,0`,
  );
  let chunk = '';
  for (let i = 0; i < LINKS; i++) {
    chunk += `\n,3,1,${2 * i + 3},${SELF},${i + 1 < LINKS ? 1 : 0},0`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, `${chunk}],\n"edges":[1,0,6`);
  chunk = '';
  for (let i = 1; i < LINKS; i++) {
    chunk += `\n,2,2,${(i + 1) * 6}`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, `${chunk}],\n"strings":["","Link","next"]}\n`);
  closeSync(fd);
}

it.each(['devtools', 'memlab'])(
  'summarises a million-deep linked list (%s rules)',
  async (rules) => {
    const file = join(tempDir(), 'list.heapsnapshot');
    writeList(file);
    const run = await heapwatch(['summary', file, '--json', '--quiet', '--top', '2', '--dominators', rules], {
      timeoutMs: 120_000,
    });
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.totals).toMatchObject({ nodes: LINKS + 1, edges: LINKS, unreachable: 0 });
    expect(r.largest.map((o: { retainedBytes: number }) => o.retainedBytes)).toEqual([
      LINKS * SELF,
      (LINKS - 1) * SELF,
    ]);
    expect(r.largest[1].path).toBe('Link > next (property) > Link');
    expect(r.groups).toContainEqual({
      what: 'Link',
      count: LINKS,
      selfBytes: LINKS * SELF,
      retainedBytes: LINKS * SELF,
    });
  },
  180_000,
);

it('draws its progress in place on a terminal (script(1) gives it one)', async () => {
  const file = join(tempDir(), 'list.heapsnapshot');
  writeList(file, 3_000_000);
  const { spawnSync } = await import('node:child_process');
  const run = spawnSync(
    'script',
    ['-qec', `'${process.execPath}' '${CLI}' summary '${file}' --top 1 > /dev/null`, '/dev/null'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  const lines = run.stdout
    .split(/\r|\n/)
    .map((l) => l.replaceAll('\x1b[K', ''))
    .filter((l) => l.startsWith('heapwatch summary'));
  const final = lines.at(-1)!;
  expect(final).toMatch(
    /^heapwatch summary: parse list\.heapsnapshot [\d.]+ s, dominators [\d.]+ s, report [\d.]+ s \(([\d.]+) s in all\)$/,
  );
  // Live lines come once the command has run for a second, each cleared by the next.
  const live = lines.filter((l) => l !== final);
  if (Number(final.match(/\(([\d.]+) s in all\)/)![1]) > 1.5) {
    expect(live.length).toBeGreaterThan(0);
    expect(live[0]).toMatch(
      /^heapwatch summary: (parse list\.heapsnapshot {2}\d+% {2}[\d.]+ MiB of [\d.]+ MiB|dominators {2}\d\/6|report)/,
    );
    expect(run.stdout).toContain('\r\x1b[K');
  }
  expect(live.every((l) => !l.includes('\n'))).toBe(true);
}, 180_000);

it('three copies of a million-deep snapshot: no leak, and the walks are loops', async () => {
  const file = join(tempDir(), 'list.heapsnapshot');
  writeList(file);
  // Two snapshots "of one process": the same file twice has nothing new; the walk still runs.
  const run = await heapwatch(['leaks', file, file, file, '--json', '--quiet'], { timeoutMs: 120_000 });
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ candidates: 0, groups: [] });
}, 180_000);
