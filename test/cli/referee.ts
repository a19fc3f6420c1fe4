// Dominators by Chrome DevTools' rules, computed the plain way (Cooper, Harvey and Kennedy's
// iteration to a fixed point) over a snapshot parsed in JavaScript: a referee for the addon's
// Lengauer-Tarjan, which must agree node for node.
import type { ParsedSnapshot } from './helpers.js';

const WEAK_MAP_EDGE =
  /^\d+ \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\)$/;

export function devtoolsDominators(s: ParsedSnapshot): { dominator: Uint32Array; retained: Float64Array } {
  const n = s.count;
  const edges = (v: number) => {
    const list: number[] = [];
    for (let k = s.firstEdge[v]!; k < s.firstEdge[v + 1]!; k++) list.push(k);
    return list;
  };
  // Page-owned: what non-weak edges reach from the root's shortcuts (the globals) and the DOM.
  const page = new Uint8Array(n);
  const stack: number[] = [];
  for (const k of edges(0)) {
    const to = s.edgeTo[k]!;
    const domTrees = s.kind[to] === 'synthetic' && s.name[to] === '(Document DOM trees)';
    if (s.edgeKind[k] === 'shortcut' || (s.edgeKind[k] === 'element' && domTrees)) {
      if (!page[to]) stack.push(to);
      page[to] = 1;
    }
  }
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (const k of edges(v)) {
      const to = s.edgeTo[k]!;
      if (page[to] || s.edgeKind[k] === 'weak') continue;
      page[to] = 1;
      stack.push(to);
    }
  }
  const essential = (from: number, k: number) => {
    const kind = s.edgeKind[k]!;
    const to = s.edgeTo[k]!;
    if (kind === 'internal') {
      const table = WEAK_MAP_EDGE.exec(String(s.edgeName[k]));
      if (table && Number(table[1]) === s.id[from]) return false;
    }
    if (kind === 'weak' || from === to) return false;
    if (from !== 0 && (kind === 'shortcut' || (page[to] && !page[from]))) return false;
    return true;
  };
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let v = 0; v < n; v++) for (const k of edges(v)) if (essential(v, k)) preds[s.edgeTo[k]!]!.push(v);

  // Reached from the root, then from the nodes that nothing retains (attached to the root).
  const reached = new Uint8Array(n);
  const roots = [0];
  const reach = (start: number) => {
    const todo = [start];
    reached[start] = 1;
    while (todo.length > 0) {
      const v = todo.pop()!;
      for (const k of edges(v)) {
        const to = s.edgeTo[k]!;
        if (!reached[to] && essential(v, k)) {
          reached[to] = 1;
          todo.push(to);
        }
      }
    }
  };
  reach(0);
  const orphans: number[] = [];
  for (let v = 0; v < n; v++) if (!reached[v] && preds[v]!.length === 0) orphans.push(v);
  for (const o of orphans) if (!reached[o]) reach(o);
  roots.push(...orphans);
  for (let v = 0; v < n; v++) {
    if (reached[v]) continue;
    for (const k of edges(v)) {
      if (essential(v, k) && reached[s.edgeTo[k]!]) {
        throw new Error('the referee cannot judge a snapshot where an unreached node retains a reached one');
      }
    }
  }
  const isOrphan = new Uint8Array(n);
  for (const o of orphans) isOrphan[o] = 1;

  // Postorder of a depth-first walk from the root, the orphans last among its children.
  const order: number[] = [];
  const number = new Int32Array(n).fill(-1);
  const seen = new Uint8Array(n);
  const walk: [number, number[], number][] = [];
  const succ = (v: number) => {
    const out = edges(v)
      .filter((k) => essential(v, k))
      .map((k) => s.edgeTo[k]!);
    return v === 0 ? [...out, ...orphans] : out;
  };
  seen[0] = 1;
  walk.push([0, succ(0), 0]);
  while (walk.length > 0) {
    const top = walk[walk.length - 1]!;
    if (top[2] < top[1].length) {
      const w = top[1][top[2]++]!;
      if (!seen[w]) {
        seen[w] = 1;
        walk.push([w, succ(w), 0]);
      }
    } else {
      number[top[0]] = order.length;
      order.push(top[0]);
      walk.pop();
    }
  }
  const dom = new Int32Array(n).fill(-1);
  dom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (number[a]! < number[b]!) a = dom[a]!;
      while (number[b]! < number[a]!) b = dom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = order.length - 1; i >= 0; i--) {
      const w = order[i]!;
      if (w === 0) continue;
      let d = -1;
      const from = isOrphan[w] ? [0] : preds[w]!;
      for (const p of from) {
        if (number[p]! < 0 || dom[p]! < 0) continue;
        d = d < 0 ? p : intersect(p, d);
      }
      if (d >= 0 && dom[w] !== d) {
        dom[w] = d;
        changed = true;
      }
    }
  }
  const dominator = new Uint32Array(n);
  const retained = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    dominator[v] = Math.max(dom[v]!, 0);
    retained[v] = s.self[v]!;
  }
  const add = (to: number, from: number) => {
    retained[to] = retained[to]! + retained[from]!;
  };
  for (const v of order) if (v !== 0) add(dominator[v]!, v);
  for (let v = 0; v < n; v++) if (number[v]! < 0) add(0, v);
  return { dominator, retained };
}
