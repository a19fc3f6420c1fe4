// memwatch's HeapDiff, which scales: what grew between two moments, and what holds it.
import heapwatch from 'heapwatch';
import { say } from './progress.mjs';

class LeakingClass {
  constructor(i) {
    this.id = i;
    this.payload = `record ${i}`.repeat(4);
  }
}

export function run() {
  const cache = new Map();
  globalThis.demoCache = cache; // a global cache: the classic leak
  const hd = new heapwatch.HeapDiff();
  for (let i = 0; i < 1000; i++) cache.set(i, new LeakingClass(i));
  const diff = hd.end({ retainers: 2 });

  const { before, after, change } = diff;
  say(
    `1000 LeakingClass objects went into a global Map between new HeapDiff() and end(): the heap went ` +
      `${before.size} -> ${after.size} (${change.allocated_nodes} objects allocated, ${change.freed_nodes} freed).`,
  );
  say('The groups that grew most (objects allocated +, freed -, net size):');
  const grew = change.details.filter((d) => d.size_bytes > 0).sort((a, b) => b.size_bytes - a.size_bytes);
  for (const d of grew.slice(0, 4)) {
    say(`  ${d.what.padEnd(14)} +${String(d['+']).padEnd(5)} -${String(d['-']).padEnd(4)} ${d.size}`);
  }
  const leaking = change.details.find((d) => d.what === 'LeakingClass');
  const path = leaking?.retainers?.[0];
  if (path) say(`What holds the new LeakingClass objects (end({ retainers: 2 })):\n  ${path}`);
  delete globalThis.demoCache;
  return { found: Boolean(leaking && leaking['+'] - leaking['-'] >= 1000) };
}
