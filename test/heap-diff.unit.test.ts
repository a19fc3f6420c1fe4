// HeapDiff's TypeScript half over a fake binding: shape, sorting, options, errors.
import { describe, expect, it } from 'vitest';
import { HeapwatchError } from '../src/errors.js';
import {
  createHeapDiff,
  type HeapDiffBinding,
  type HeapDiffHandle,
  type NativeHeapDiff,
} from '../src/heap-diff.js';
import * as endModule from '../src/heap-diff-result.js';

const { compareBytewise, parseEndOptions } = endModule;
const load = () => endModule;

function raw(groups: NativeHeapDiff['groups']): NativeHeapDiff {
  return {
    before: { nodes: 1000, sizeBytes: 2_000_000, time: Date.UTC(2024, 0, 1) },
    after: { nodes: 1100, sizeBytes: 1_997_880, time: Date.UTC(2024, 0, 1, 0, 0, 5) },
    freedNodes: 7,
    allocatedNodes: 107,
    groups,
  };
}

function fakeBinding(result: NativeHeapDiff) {
  const calls: Array<[string, ...unknown[]]> = [];
  const handle = {} as HeapDiffHandle;
  const binding: HeapDiffBinding = {
    heapDiffStart: () => {
      calls.push(['start']);
      return handle;
    },
    heapDiffEnd: (h, retainers) => {
      calls.push(['end', h === handle, retainers]);
      return result;
    },
    heapDiffBytes: () => 0,
    bareSnapshot: () => 0,
  };
  return { binding, calls };
}

describe('HeapDiff (TypeScript half)', () => {
  it("returns memwatch's shape, keys in memwatch's order, with time as Dates", () => {
    const { binding } = fakeBinding(
      raw([{ what: 'LeakingClass', sizeBytes: 3200, allocated: 100, freed: 0 }]),
    );
    const HeapDiff = createHeapDiff(() => binding, load);
    const result = new HeapDiff().end();
    expect(Object.keys(result)).toEqual(['before', 'after', 'change']);
    expect(Object.keys(result.before)).toEqual(['nodes', 'size_bytes', 'size', 'time']);
    expect(Object.keys(result.change)).toEqual([
      'size_bytes',
      'size',
      'freed_nodes',
      'allocated_nodes',
      'details',
    ]);
    expect(result).toEqual({
      before: { nodes: 1000, size_bytes: 2_000_000, size: '1.91 mb', time: new Date(Date.UTC(2024, 0, 1)) },
      after: {
        nodes: 1100,
        size_bytes: 1_997_880,
        size: '1.91 mb',
        time: new Date(Date.UTC(2024, 0, 1, 0, 0, 5)),
      },
      change: {
        size_bytes: -2120,
        size: '-2.07 kb',
        freed_nodes: 7,
        allocated_nodes: 107,
        details: [{ what: 'LeakingClass', size_bytes: 3200, size: '3.13 kb', '+': 100, '-': 0 }],
      },
    });
    expect(Object.keys(result.change.details[0]!)).toEqual(['what', 'size_bytes', 'size', '+', '-']);
    expect(result.before.time).toBeInstanceOf(Date);
  });

  it('sorts details by what in byte order (uppercase before lowercase)', () => {
    const names = ['system / Context', 'alpha', 'Zeta', '_x', 'Array', '\u{1F600}', '\uFFFD', 'Émile', 'a'];
    const { binding } = fakeBinding(
      raw(names.map((what) => ({ what, sizeBytes: 1, allocated: 1, freed: 0 }))),
    );
    const details = new (createHeapDiff(() => binding, load))().end().change.details.map((d) => d.what);
    // UTF-8 byte order: ASCII by code, then U+00C9, U+FFFD, then the astral U+1F600.
    expect(details).toEqual([
      'Array',
      'Zeta',
      '_x',
      'a',
      'alpha',
      'system / Context',
      'Émile',
      '\uFFFD',
      '\u{1F600}',
    ]);
    const utf8 = [...details].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(details).toEqual(utf8);
  });

  it('compareBytewise agrees with comparing UTF-8 bytes', () => {
    const words = ['b', 'B', 'ba', '', '\uD83D\uDE00', '\uFFFF', 'z\u{10000}', 'z\uE000', 'ä'];
    for (const a of words) {
      for (const b of words) {
        expect(Math.sign(compareBytewise(a, b))).toBe(
          Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
        );
      }
    }
  });

  it('keeps retainers only where the addon found some', () => {
    const { binding, calls } = fakeBinding(
      raw([
        {
          what: 'Leak',
          sizeBytes: 10,
          allocated: 1,
          freed: 0,
          retainers: ['global > leak (property) > Leak'],
        },
        { what: 'Other', sizeBytes: 1, allocated: 1, freed: 0 },
      ]),
    );
    const result = new (createHeapDiff(() => binding, load))().end({ retainers: 1 });
    expect(calls).toEqual([['start'], ['end', true, 1]]);
    expect(result.change.details[0]!.retainers).toEqual(['global > leak (property) > Leak']);
    expect('retainers' in result.change.details[1]!).toBe(false);
  });

  it("throws memwatch's errors: no new, second end()", () => {
    const HeapDiff = createHeapDiff(() => fakeBinding(raw([])).binding, load);
    expect(() => (HeapDiff as unknown as () => void)()).toThrow(
      new TypeError('Use the new operator to create instances of this object.'),
    );
    const diff = new HeapDiff();
    expect(diff).toBeInstanceOf(HeapDiff);
    expect(HeapDiff.name).toBe('HeapDiff');
    diff.end();
    let error: unknown;
    try {
      diff.end();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('attempt to end() a HeapDiff that was already ended');
  });

  it('supports subclasses', () => {
    const HeapDiff = createHeapDiff(() => fakeBinding(raw([])).binding, load);
    class Mine extends HeapDiff {}
    const mine = new Mine();
    expect(mine).toBeInstanceOf(Mine);
    expect(mine).toBeInstanceOf(HeapDiff);
    expect(mine.end().change.details).toEqual([]);
  });

  it('rejects bad options with the argument, what was expected and what was given', () => {
    expect(parseEndOptions(undefined)).toBe(0);
    expect(parseEndOptions({})).toBe(0);
    expect(parseEndOptions({ retainers: 4 })).toBe(4);
    const cases: Array<[unknown, RegExp]> = [
      [{ retainers: -1 }, /Expected a non-negative integer for `retainers` but received -1 \(number\)/],
      [{ retainers: 1.5 }, /`retainers` but received 1.5 \(number\)/],
      [{ retainers: '2' }, /`retainers` but received "2" \(string\)/],
      [{ retainers: Number.NaN }, /`retainers` but received NaN/],
      [{ retainer: 2 }, /Unknown option `retainer`.*did you mean `retainers`/],
      [5, /Expected an object like \{ retainers: 3 \} for `options` but received 5 \(number\)/],
      [null, /for `options` but received null/],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        parseEndOptions(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HeapwatchError);
      expect((error as HeapwatchError).code).toBe('ERR_HEAPWATCH_INVALID_ARG');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('a bad option does not use up the HeapDiff', () => {
    const { binding, calls } = fakeBinding(raw([]));
    const diff = new (createHeapDiff(() => binding, load))();
    expect(() => diff.end({ retainers: -1 })).toThrow(/retainers/);
    expect(diff.end().change.details).toEqual([]);
    expect(calls.filter((c) => c[0] === 'end')).toHaveLength(1);
  });
});
