// Shared by the tests of the heapwatch command: running it, and reading snapshots in JavaScript
// to compute what it should say by other means.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Exit, FIXTURES, ROOT, run } from '../helpers.js';

export const CLI = join(ROOT, 'dist', 'cli.cjs');
export const CLI_FIXTURES = join(FIXTURES, 'cli');
/** Snapshots of known-heap.cjs written by these Node majors (committed, gzip-compressed). */
export const MAJORS = [20, 26];
export const knownHeap = (major: number) => join(CLI_FIXTURES, `node${major}.heapsnapshot.gz`);

export type Run = Exit;

/** The `meta` of a V8 snapshot's header (Node 20's), for snapshots written by hand. */
export const SNAPSHOT_META = {
  node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'detachedness'],
  node_types: [
    ['hidden', 'array', 'string', 'object', 'synthetic'],
    'string',
    'number',
    'number',
    'number',
    'number',
  ],
  edge_fields: ['type', 'name_or_index', 'to_node'],
  edge_types: [
    ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'],
    'string_or_number',
    'node',
  ],
};

/** Runs `node [nodeArgs] script args` to its end, through the tests' one runner (../helpers.ts). */
export function runNode(
  script: string,
  args: string[],
  options: { nodeArgs?: string[]; timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return run(script, {
    cwd: options.cwd ?? ROOT,
    args,
    nodeArgs: options.nodeArgs,
    timeoutMs: options.timeoutMs,
    env: options.env ?? { NODE_HEAPDUMP_OPTIONS: 'nosignal' },
  });
}

/** Runs the built heapwatch command. */
export const heapwatch = (args: string[], options?: Parameters<typeof runNode>[2]) =>
  runNode(CLI, args, options);

/** A snapshot parsed the simple way (small fixtures only), with helpers over its arrays. */
export interface ParsedSnapshot {
  count: number;
  id: Uint32Array;
  kind: string[];
  name: string[];
  self: Float64Array;
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  edgeKind: string[];
  edgeName: (string | number)[];
}

export function parseSnapshot(file: string): ParsedSnapshot {
  let raw = readFileSync(file);
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  const s = JSON.parse(raw.toString('utf8'));
  const m = s.snapshot.meta;
  const nf = m.node_fields.length;
  const ef = m.edge_fields.length;
  const f = (name: string) => m.node_fields.indexOf(name);
  const g = (name: string) => m.edge_fields.indexOf(name);
  const count = s.nodes.length / nf;
  const out: ParsedSnapshot = {
    count,
    id: new Uint32Array(count),
    kind: [],
    name: [],
    self: new Float64Array(count),
    firstEdge: new Uint32Array(count + 1),
    edgeTo: new Uint32Array(s.edges.length / ef),
    edgeKind: [],
    edgeName: [],
  };
  let e = 0;
  for (let i = 0; i < count; i++) {
    out.id[i] = s.nodes[i * nf + f('id')];
    out.kind.push(m.node_types[f('type')][s.nodes[i * nf + f('type')]]);
    out.name.push(s.strings[s.nodes[i * nf + f('name')]]);
    out.self[i] = s.nodes[i * nf + f('self_size')];
    out.firstEdge[i] = e;
    e += s.nodes[i * nf + f('edge_count')];
  }
  out.firstEdge[count] = e;
  for (let k = 0; k < out.edgeTo.length; k++) {
    const kind = m.edge_types[g('type')][s.edges[k * ef + g('type')]];
    const n = s.edges[k * ef + g('name_or_index')];
    out.edgeKind.push(kind);
    out.edgeName.push(kind === 'element' || kind === 'hidden' ? n : s.strings[n]);
    out.edgeTo[k] = s.edges[k * ef + g('to_node')] / nf;
  }
  return out;
}

/** memwatch's `what` for a node (native/heap_summary.cc's GroupOf). */
export function groupOf(kind: string, name: string): string {
  switch (kind) {
    case 'object':
      return name;
    case 'array':
      return 'Array';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return 'String';
    case 'code':
      return 'Code';
    case 'closure':
      return 'Closure';
    case 'regexp':
      return 'RegExp';
    case 'number':
      return 'Number';
    case 'native':
      return 'Native';
    case 'symbol':
      return 'Symbol';
    case 'bigint':
      return 'BigInt';
    default:
      return '(system)';
  }
}

/**
 * Group retained sizes from per-node dominators and retained sizes, by DevTools' rule: an object
 * with a self size counts unless an object of its group dominates it.
 */
export function groupRetained(s: ParsedSnapshot, dominator: Uint32Array, retained: Float64Array) {
  const children: number[][] = Array.from({ length: s.count }, () => []);
  for (let v = 1; v < s.count; v++) children[dominator[v]!]!.push(v);
  const totals = new Map<string, number>();
  const inside = new Map<string, number>();
  const stack: [number, number][] = [[0, -1]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [v] = top;
    const what = groupOf(s.kind[v]!, s.name[v]!);
    if (top[1] === -1) {
      // entering
      top[1] = 0;
      if ((inside.get(what) ?? 0) === 0 && s.self[v]! !== 0) {
        totals.set(what, (totals.get(what) ?? 0) + retained[v]!);
        inside.set(what, 1);
        (top as unknown as { counted: boolean }).counted = true;
      }
    }
    const next = children[v]![top[1]];
    if (next !== undefined) {
      top[1]++;
      stack.push([next, -1]);
    } else {
      if ((top as unknown as { counted?: boolean }).counted) inside.set(what, 0);
      stack.pop();
    }
  }
  return totals;
}

export function writeJson(file: string, value: unknown) {
  writeFileSync(file, JSON.stringify(value));
}
