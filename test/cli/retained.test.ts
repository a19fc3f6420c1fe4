// Retained sizes from the dominator tree, checked against memlab's own numbers (its
// getFullHeapFromFile, run in a child process) and against a plain fixed-point computation of
// DevTools' rules, on snapshots written by Node 20 and Node 26.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import {
  CLI_FIXTURES,
  groupOf,
  groupRetained,
  heapwatch,
  knownHeap,
  MAJORS,
  parseSnapshot,
  runNode,
} from './helpers.js';
import { devtoolsDominators } from './referee.js';

interface SummaryJson {
  totals: { nodes: number; edges: number; selfBytes: number };
  groups: { what: string; count: number; selfBytes: number; retainedBytes: number }[];
  largest: { id: number; retainedBytes: number; selfBytes: number; what: string }[];
}

async function summary(file: string, rules: string): Promise<SummaryJson> {
  const run = await heapwatch(['summary', file, '--json', '--quiet', '--top', '1000', '--dominators', rules]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

/** Our JSON against reference per-node dominators and retained sizes (node order). */
function compare(
  ours: SummaryJson,
  file: string,
  reference: { dominator: Uint32Array; retained: Float64Array },
) {
  const s = parseSnapshot(file);
  const byId = new Map<number, number>();
  for (let v = 0; v < s.count; v++) byId.set(s.id[v]!, v);
  expect(ours.totals.nodes).toBe(s.count);
  expect(ours.totals.edges).toBe(s.edgeTo.length);
  // Every listed object, exactly.
  expect(ours.largest.length).toBe(1000);
  for (const o of ours.largest) {
    const v = byId.get(o.id)!;
    expect({ id: o.id, retained: o.retainedBytes }).toEqual({ id: o.id, retained: reference.retained[v] });
    expect(o.selfBytes).toBe(s.self[v]);
  }
  // Every group: count, self size, and retained size by DevTools' class rule over the reference
  // dominator tree (this covers every node).
  const expected = groupRetained(s, reference.dominator, reference.retained);
  const counts = new Map<string, number>();
  for (let v = 0; v < s.count; v++) {
    const what = groupOf(s.kind[v]!, s.name[v]!);
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  const got = new Map(ours.groups.map((g) => [g.what, g]));
  for (const [what, count] of counts) {
    if (what === 'HeapDiff') continue;
    expect({ what, count: got.get(what)?.count }).toEqual({ what, count });
    expect({ what, retained: got.get(what)?.retainedBytes }).toEqual({
      what,
      retained: expected.get(what) ?? 0,
    });
  }
}

describe.each(MAJORS)('retained sizes, snapshot written by Node %i', (major) => {
  it("equal memlab's for every listed object and every group (--dominators memlab)", async () => {
    const dir = tempDir();
    // memlab reads plain files only.
    const plain = join(dir, `node${major}.heapsnapshot`);
    writeFileSync(plain, gunzipSync(readFileSync(knownHeap(major))));
    const [ours, memlab] = await Promise.all([
      summary(knownHeap(major), 'memlab'),
      runNode(join(CLI_FIXTURES, 'memlab-retained.cjs'), [plain], { timeoutMs: 120_000 }),
    ]);
    expect(memlab.code, memlab.stderr).toBe(0);
    const m = JSON.parse(memlab.stdout) as { ids: number[]; retained: number[]; dominator: number[] };
    const ordinal = new Map(m.ids.map((id, v) => [id, v]));
    compare(ours, plain, {
      retained: Float64Array.from(m.retained),
      dominator: Uint32Array.from(m.dominator, (id) => ordinal.get(id)!),
    });
  }, 180_000);

  it("equal a fixed-point computation of DevTools' rules (the default)", async () => {
    const ours = await summary(knownHeap(major), 'devtools');
    compare(ours, knownHeap(major), devtoolsDominators(parseSnapshot(knownHeap(major))));
  }, 120_000);

  it("differ between the two rules where the VM holds the program's objects", async () => {
    const [devtools, memlab] = await Promise.all([
      summary(knownHeap(major), 'devtools'),
      summary(knownHeap(major), 'memlab'),
    ]);
    const fixture = (r: SummaryJson) => r.groups.find((g) => g.what === 'Fixture')!;
    // What the program made is held by the program alike.
    expect(fixture(devtools)).toEqual(fixture(memlab));
    expect(fixture(devtools).count).toBe(100);
    expect(devtools.groups).not.toEqual(memlab.groups);
  }, 120_000);
});

it('the committed fixtures are what known-heap.cjs writes', () => {
  for (const major of MAJORS) {
    const s = parseSnapshot(knownHeap(major));
    const count = (what: string) => s.name.filter((n, v) => s.kind[v] === 'object' && n === what).length;
    expect([count('Fixture'), count('Link'), count('WeakValue')]).toEqual([100, 2000, 10]);
  }
});
