// HeapDiff against the real addon, in this process: memwatch's own tests and the groups.
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { instance } from '../src/instance.js';
import * as lazy from '../src/lazy.js';

const heapwatch = instance({ lazy: () => lazy, errors: () => errors });
const { HeapDiff } = heapwatch;

class LeakingClass {
  constructor(public readonly n: number) {}
}

function detail(result: ReturnType<InstanceType<typeof HeapDiff>['end']>, what: string) {
  return result.change.details.find((d) => d.what === what);
}

// Objects made between the constructor and end() stay reachable from here until the file ends
// (the optimiser may otherwise drop them).
const kept: unknown[] = [];

describe('HeapDiff (memwatch tests)', () => {
  it('is an own property of the export', () => {
    expect(Object.hasOwn(heapwatch, 'HeapDiff')).toBe(true);
    expect(typeof HeapDiff).toBe('function');
  });

  it('finds 100 LeakingClass instances made between new and end()', () => {
    const hd = new HeapDiff();
    const leaks: LeakingClass[] = [];
    for (let i = 0; i < 100; i++) leaks.push(new LeakingClass(i));
    const result = hd.end();
    kept.push(leaks);
    const leak = detail(result, 'LeakingClass');
    expect(leak).toBeDefined();
    expect(leak!['+'] - leak!['-']).toBeGreaterThan(0);
    expect(leak!['+']).toBe(100);
    expect(leak!.size_bytes).toBeGreaterThanOrEqual(100 * 16);
    expect(leaks).toHaveLength(100);
  });

  it('throws on a second end()', () => {
    const hd = new HeapDiff();
    hd.end();
    expect(() => hd.end()).toThrow('attempt to end() a HeapDiff that was already ended');
  });

  it('throws without new', () => {
    expect(() => (HeapDiff as unknown as () => unknown)()).toThrow(
      new TypeError('Use the new operator to create instances of this object.'),
    );
  });
});

describe('HeapDiff results', () => {
  it('have the exact shape and types', () => {
    const hd = new HeapDiff();
    kept.push(Array.from({ length: 10 }, (_, i) => new LeakingClass(i)));
    const result = hd.end();
    expect(Object.keys(result)).toEqual(['before', 'after', 'change']);
    for (const side of [result.before, result.after]) {
      expect(Object.keys(side)).toEqual(['nodes', 'size_bytes', 'size', 'time']);
      expect(Number.isInteger(side.nodes) && side.nodes > 1000).toBe(true);
      expect(Number.isInteger(side.size_bytes) && side.size_bytes > 100_000).toBe(true);
      expect(side.size).toMatch(/^\d+(\.\d{1,2})? (mb|kb)$/);
      expect(side.time).toBeInstanceOf(Date);
      expect(Math.abs(side.time.getTime() - Date.now())).toBeLessThan(60_000);
    }
    expect(result.after.time.getTime()).toBeGreaterThanOrEqual(result.before.time.getTime());
    const { change } = result;
    expect(Object.keys(change)).toEqual(['size_bytes', 'size', 'freed_nodes', 'allocated_nodes', 'details']);
    expect(change.size_bytes).toBe(result.after.size_bytes - result.before.size_bytes);
    expect(typeof change.size).toBe('string');
    expect(Number.isInteger(change.freed_nodes)).toBe(true);
    expect(Number.isInteger(change.allocated_nodes)).toBe(true);
    let plus = 0;
    let minus = 0;
    for (const d of change.details) {
      expect(Object.keys(d)).toEqual(['what', 'size_bytes', 'size', '+', '-']);
      expect(typeof d.what).toBe('string');
      expect(Number.isInteger(d.size_bytes)).toBe(true);
      expect(typeof d.size).toBe('string');
      expect(d['+'] + d['-']).toBeGreaterThan(0);
      plus += d['+'];
      minus += d['-'];
    }
    // Hidden V8 internals count in the totals but are not listed.
    expect(plus).toBeLessThanOrEqual(change.allocated_nodes);
    expect(minus).toBeLessThanOrEqual(change.freed_nodes);
  });

  it('sorts details in byte order', () => {
    const made = {
      Zebra: class Zebra {},
      apple: class apple {},
      Apple: class Apple {},
      _under: class _under {},
    };
    const hd = new HeapDiff();
    kept.push(Object.values(made).map((C) => Array.from({ length: 5 }, () => new C())));
    const whats = hd.end().change.details.map((d) => d.what);
    const bytewise = [...whats].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(whats).toEqual(bytewise);
    const order = whats.filter((w) => w in made);
    expect(order).toEqual(['Apple', 'Zebra', '_under', 'apple']);
  });

  it("counts freed objects in '-'", () => {
    class Freed {
      payload = [1, 2, 3];
    }
    let doomed: Freed[] | null = Array.from({ length: 300 }, () => new Freed());
    const hd = new HeapDiff();
    // No expect() on `doomed`: the assertion would keep it alive.
    if (doomed.length !== 300) throw new Error('unreachable');
    doomed = null;
    const result = hd.end();
    const freed = detail(result, 'Freed');
    expect(freed).toMatchObject({ '+': 0, '-': 300 });
    expect(freed!.size_bytes).toBeLessThan(0);
    expect(result.change.freed_nodes).toBeGreaterThanOrEqual(300);
  });

  it('names the property that holds a leak in retainer paths', () => {
    class Leak {
      a = 1;
      b = 2;
      c = 3;
      d = 4;
      e = 5;
    }
    const holder = globalThis as unknown as { leakyCache?: Map<number, Leak> };
    holder.leakyCache = new Map();
    const hd = new HeapDiff();
    for (let i = 0; i < 500; i++) holder.leakyCache.set(i, new Leak());
    const result = hd.end({ retainers: 3 });
    const leak = detail(result, 'Leak');
    expect(leak?.['+']).toBe(500);
    expect(leak?.retainers?.length).toBeGreaterThan(0);
    // The first path goes through the Map, even when a Leak is also on the stack.
    expect(leak!.retainers![0]).toMatch(/leakyCache \(property\) > Map > table \(internal\) > .* > Leak$/);
    const withRetainers = result.change.details.filter((d) => d.retainers);
    expect(withRetainers.length).toBeLessThanOrEqual(3);
    delete holder.leakyCache;
  });

  it('rejects bad options before taking a snapshot', () => {
    const hd = new HeapDiff();
    expect(() => hd.end({ retainers: -1 })).toThrow(/`retainers` but received -1 \(number\)/);
    expect(hd.end({ retainers: 0 }).change.details.every((d) => !('retainers' in d))).toBe(true);
  });
});

describe('HeapDiff native handle', () => {
  it('holds 16 bytes per snapshot node, and nothing after end()', async () => {
    const { loadBinding } = await import('../src/native.js');
    const binding = loadBinding().more();
    const handle = binding.heapDiffStart();
    const held = binding.heapDiffBytes(handle);
    const raw = binding.heapDiffEnd(handle, 0);
    expect(held).toBeGreaterThanOrEqual(16 * (raw.before.nodes - 100));
    expect(held).toBeLessThan(16 * raw.before.nodes + 1_000_000);
    expect(binding.heapDiffBytes(handle)).toBeLessThan(10_000);
    expect(() => binding.heapDiffEnd(handle, 0)).toThrow(
      'attempt to end() a HeapDiff that was already ended',
    );
    expect(() => binding.heapDiffEnd({} as never, 0)).toThrow(TypeError);
  });
});
