// heapwatch diff: memwatch's HeapDiff from two files, checked against a HeapDiff taken at the
// same two moments in the process that wrote them; files of two processes are refused.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HeapDiffResult } from '../../src/types.js';
import { tempDir } from '../helpers.js';
import { CLI_FIXTURES, heapwatch, knownHeap, runNode, SNAPSHOT_META, writeJson } from './helpers.js';

// Keep V8 from compiling anything between the two snapshots of a moment (heap-diff-files.cjs).
const STEADY = [
  '--no-opt',
  '--no-sparkplug',
  '--no-maglev',
  '--no-lazy-feedback-allocation',
  '--no-flush-bytecode',
];

async function heapDiffAndFiles(dir: string) {
  const run = await runNode(join(CLI_FIXTURES, 'heap-diff-files.cjs'), [dir], { nodeArgs: STEADY });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { result: HeapDiffResult; before: string; after: string };
}

function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  }
  return typeof value;
}

describe('heapwatch diff', () => {
  it('gives what HeapDiff gives for the same two moments of one process', async () => {
    const dir = tempDir();
    const { result: expected, before, after } = await heapDiffAndFiles(dir);
    const run = await heapwatch(['diff', before, after, '--json', '--retainers', '0', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout);
    // The same shape, key for key (times are ISO strings in JSON on both sides).
    expect(shape(got)).toEqual(shape(JSON.parse(JSON.stringify(expected))));
    expect(got.change.details.map((d: { what: string }) => d.what)).toEqual(
      [...got.change.details.map((d: { what: string }) => d.what)].sort((a, b) =>
        Buffer.compare(Buffer.from(a), Buffer.from(b)),
      ),
    );
    // What the program made and freed: exactly the same numbers.
    const detail = (r: HeapDiffResult, what: string) => r.change.details.find((d) => d.what === what);
    for (const what of ['LeakingClass', 'Freed', 'Map']) {
      expect({ what, ...detail(got, what) }).toEqual({ what, ...detail(expected, what) });
    }
    expect(detail(got, 'LeakingClass')).toMatchObject({ '+': 1000, '-': 0 });
    expect(detail(got, 'Freed')).toMatchObject({ '+': 0, '-': 300 });
    // The rest agrees but for what the two snapshots of a moment cannot share: the HeapDiff
    // constructor's and end()'s own calls (an arguments array, a result object) on the stack at
    // their snapshot and not at the file's, and code V8 makes for them; measured on Node 20:
    // Array -1, Object -1, String +1, Code +5/-4. Every other group must be equal.
    const tolerated = new Set(['Array', 'Object', 'String', 'Code', 'Closure', 'system / Context']);
    const whats = new Set([...got.change.details, ...expected.change.details].map((d) => d.what));
    for (const what of whats) {
      const a = detail(got, what) ?? { '+': 0, '-': 0, size_bytes: 0 };
      const b = detail(expected, what) ?? { '+': 0, '-': 0, size_bytes: 0 };
      if (!tolerated.has(what)) {
        expect({ what, ...a }).toEqual({ what, ...b });
        continue;
      }
      expect(Math.abs(a['+'] - b['+']), what).toBeLessThanOrEqual(8);
      expect(Math.abs(a['-'] - b['-']), what).toBeLessThanOrEqual(8);
      expect(Math.abs(a.size_bytes - b.size_bytes), what).toBeLessThanOrEqual(8192);
    }
    for (const side of ['before', 'after'] as const) {
      expect(Math.abs(got[side].nodes - expected[side].nodes)).toBeLessThanOrEqual(16);
      expect(Math.abs(got[side].size_bytes - expected[side].size_bytes)).toBeLessThanOrEqual(8192);
    }
    expect(Math.abs(got.change.allocated_nodes - expected.change.allocated_nodes)).toBeLessThanOrEqual(16);
    expect(Math.abs(got.change.freed_nodes - expected.change.freed_nodes)).toBeLessThanOrEqual(16);
  }, 120_000);

  it('names what holds the groups that grew most', async () => {
    const dir = tempDir();
    const { before, after } = await heapDiffAndFiles(dir);
    const text = await heapwatch(['diff', before, after, '--retainers', '2']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ {2}LeakingClass \(\+[\d.]+ KiB, \+1,000\):$/m);
    expect(text.stdout).toMatch(/held \(property\) > Map > .* > LeakingClass$/m);
    // Exactly one summary line on stderr when it is not a terminal.
    expect(text.stderr).toMatch(
      /^heapwatch diff: parse before\.heapsnapshot [\d.]+ s, parse after\.heapsnapshot [\d.]+ s, report [\d.]+ s \([\d.]+ s in all\)\n$/,
    );
    const json = JSON.parse(
      (await heapwatch(['diff', before, after, '--json', '--retainers', '2', '--quiet'])).stdout,
    );
    const leaking = json.change.details.find((d: { what: string }) => d.what === 'LeakingClass');
    expect(leaking.retainers[0]).toMatch(/held \(property\) > Map > /);
  }, 120_000);

  it('refuses snapshots of two processes, and says so', async () => {
    const dir = tempDir();
    const [a, b] = [join(dir, 'a.heapsnapshot'), join(dir, 'b.heapsnapshot')];
    // The same program twice: ids line up at the start, then name other objects.
    for (const [file, items] of [
      [a, '2000'],
      [b, '3000'],
    ] as const) {
      const run = await runNode(join(CLI_FIXTURES, 'one-snapshot.cjs'), [file, items]);
      expect(run.code, run.stderr).toBe(0);
    }
    const run = await heapwatch(['diff', a, b]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^heapwatch diff: a\.heapsnapshot and b\.heapsnapshot do not come from one process: /,
    );
    expect(run.stderr).toMatch(/V8 numbers objects per process/);
    // Two Node versions, two processes.
    const versions = await heapwatch(['diff', knownHeap(20), knownHeap(26)]);
    expect(versions.code).toBe(1);
    expect(versions.stderr).toMatch(/do not come from one process/);
  }, 120_000);

  it("leaves V8's machine code out, also where it is one in one file only", async () => {
    const dir = tempDir();
    const types = [
      'hidden',
      'array',
      'string',
      'object',
      'code',
      'closure',
      'regexp',
      'number',
      'native',
      'synthetic',
    ];
    const edgeTypes = SNAPSHOT_META.edge_types[0] as string[];
    const meta = { ...SNAPSHOT_META, node_types: [types, ...SNAPSHOT_META.node_types.slice(1)] };
    type Node = [
      type: string,
      name: string,
      id: number,
      size: number,
      edges: [string, string | number, number][],
    ];
    /** Writes a snapshot of `nodes` (edges: type, name or index, id of the node they lead to). */
    const file = (name: string, nodes: Node[]) => {
      const strings = [''];
      const str = (x: string) => (strings.includes(x) ? strings.indexOf(x) : strings.push(x) - 1);
      const at = new Map(nodes.map(([, , id], i) => [id, i * 6]));
      const edges = nodes.flatMap(([, , , , es]) =>
        es.flatMap(([t, n, to]) => [edgeTypes.indexOf(t), typeof n === 'number' ? n : str(n), at.get(to)!]),
      );
      const flat = nodes.flatMap(([t, n, id, size, es]) => [
        types.indexOf(t),
        str(n),
        id,
        size,
        es.length,
        0,
      ]);
      const path = join(dir, name);
      writeJson(path, {
        snapshot: { meta, node_count: nodes.length, edge_count: edges.length / 3 },
        nodes: flat,
        edges,
        strings,
      });
      return path;
    };
    const root = (ids: number[]): Node => ['synthetic', '', 1, 0, ids.map((id, i) => ['element', i, id])];
    const thing: Node = ['object', 'Thing', 3, 32, []];
    const fn: Node = ['code', 'f', 9, 40, []]; // a function's metadata: shared, it stays
    const map: Node = ['hidden', 'system / Map', 11, 40, []];
    // Node 24 and 26 compile on a background thread. The first file has an instruction stream
    // whose Code object is not installed yet (nameless, no edges)...
    const before = file('before.heapsnapshot', [
      root([3, 9, 11, 5]),
      thing,
      fn,
      map,
      ['code', '', 5, 256, []],
    ]);
    const after = file('after.heapsnapshot', [
      root([3, 9, 11, 5, 7, 13, 17]),
      thing,
      fn,
      map,
      // ...which the second has, each one's first edge leading to the other;
      ['code', '(instruction stream for g)', 5, 256, [['internal', 'code', 7]]],
      ['code', '(code for g)', 7, 96, [['internal', 'instruction_stream', 5]]],
      // a stream allocated and not yet filled in: its map and its relocation info only;
      [
        'code',
        '',
        13,
        512,
        [
          ['internal', 'map', 11],
          ['hidden', 0, 15],
        ],
      ],
      ['hidden', 'system / TrustedByteArray', 15, 64, []],
      // optimized code, whose deoptimization data holds its own arrays and the function inlined.
      [
        'code',
        '(code)',
        17,
        96,
        [
          ['internal', 'instruction_stream', 19],
          ['internal', 'deoptimization_data', 21],
        ],
      ],
      ['code', '', 19, 1024, [['internal', 'code', 17]]],
      [
        'hidden',
        'system / ProtectedFixedArray',
        21,
        376,
        [
          ['internal', 'map', 11],
          ['hidden', 0, 23],
          ['hidden', 1, 9],
        ],
      ],
      ['code', 'system / TrustedByteArray', 23, 200, []],
    ]);
    const run = await heapwatch(['diff', before, after, '--json', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as HeapDiffResult;
    expect(r.change).toMatchObject({ size_bytes: 0, freed_nodes: 0, allocated_nodes: 0, details: [] });
    // Thing, f and the Map on both sides.
    expect([r.before.size_bytes, r.after.size_bytes]).toEqual([112, 112]);
  }, 60_000);

  it('says which file is older when they are given the wrong way round', async () => {
    const dir = tempDir();
    const { before, after } = await heapDiffAndFiles(dir);
    const run = await heapwatch(['diff', after, before]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/before\.heapsnapshot was written before after\.heapsnapshot/);
    expect(run.stderr).toContain(`heapwatch diff ${before} ${after}`);
  }, 120_000);
});
