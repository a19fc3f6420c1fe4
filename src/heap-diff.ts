// HeapDiff: memwatch's heap comparison, over compact native tables instead of held snapshots
// (native/heap_summary.h): its class, end()'s options, and the result in memwatch's shape.
import type { Binding, HeapDiffHandle, NativeHeapDiff, NativeHeapSummary } from './binding.js';
import { argumentError, invalidArg } from './errors.js';
import { formatSize } from './format.js';
import type {
  HeapDiffConstructor,
  HeapDiffDetail,
  HeapDiffEndOptions,
  HeapDiffResult,
  HeapDiffSnapshotInfo,
  HeapDiff as HeapDiffType,
} from './types.js';

/**
 * Makes the HeapDiff class over a binding. The class is named HeapDiff on purpose: the addon
 * leaves objects of that name out of both tables, as memwatch did.
 */
export function createHeapDiff(binding: Binding): HeapDiffConstructor {
  class HeapDiff {
    // Declared before the snapshot is taken, so that storing the handle allocates nothing.
    #handle: HeapDiffHandle | null = null;
    #ended = false;

    constructor() {
      this.#handle = binding.heapDiffStart();
    }

    end(options?: HeapDiffEndOptions): HeapDiffResult {
      if (this.#ended) throw new Error('attempt to end() a HeapDiff that was already ended');
      const retainers = parseEndOptions(options);
      this.#ended = true;
      const raw = binding.heapDiffEnd(this.#handle!, retainers);
      this.#handle = null;
      return toHeapDiffResult(raw);
    }
  }

  // memwatch's exact error for a call without `new` (a class would throw V8's own message).
  // The instance is built by the class with this function as new.target, so subclasses and
  // instanceof work. The property key gives the function its name, HeapDiff, without shadowing
  // the class.
  const Impl = HeapDiff;
  const { HeapDiff: Public } = {
    HeapDiff: function (this: unknown): HeapDiffType {
      if (new.target === undefined)
        throw new TypeError('Use the new operator to create instances of this object.');
      return Reflect.construct(Impl, [], new.target) as HeapDiffType;
    } as unknown as HeapDiffConstructor,
  };
  Object.defineProperty(Public, 'prototype', { value: HeapDiff.prototype, writable: false });
  Object.defineProperty(HeapDiff.prototype, 'constructor', {
    value: Public,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return Public;
}

/** Checks `end()`'s options; returns the number of groups to find retainers for. */
export function parseEndOptions(options: unknown): number {
  if (options === undefined) return 0;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg('options', 'an object like { retainers: 3 }', options);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'retainers') {
      const hint = key.toLowerCase().startsWith('retainer') ? ' (did you mean `retainers`?)' : '';
      throw argumentError(
        `Unknown option \`${key}\` in HeapDiff end() options${hint}; known options: retainers`,
      );
    }
  }
  const { retainers } = options as HeapDiffEndOptions;
  if (retainers === undefined) return 0;
  if (typeof retainers !== 'number' || !Number.isSafeInteger(retainers) || retainers < 0) {
    throw invalidArg('retainers', 'a non-negative integer', retainers);
  }
  return retainers;
}

/** Compares strings by Unicode code point, which is the byte order of their UTF-8 (memwatch
 * sorted in a std::map<std::string>); `<` on JS strings compares UTF-16 units instead. */
export function compareBytewise(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function side(s: NativeHeapSummary): HeapDiffSnapshotInfo {
  return { nodes: s.nodes, size_bytes: s.sizeBytes, size: formatSize(s.sizeBytes), time: new Date(s.time) };
}

/** Turns the addon's report into memwatch's result shape. */
export function toHeapDiffResult(raw: NativeHeapDiff): HeapDiffResult {
  const details = raw.groups
    .map((g): HeapDiffDetail => {
      const detail: HeapDiffDetail = {
        what: g.what,
        size_bytes: g.sizeBytes,
        size: formatSize(g.sizeBytes),
        '+': g.allocated,
        '-': g.freed,
      };
      if (g.retainers !== undefined) detail.retainers = g.retainers;
      return detail;
    })
    .sort((a, b) => compareBytewise(a.what, b.what));
  const change = raw.after.sizeBytes - raw.before.sizeBytes;
  return {
    before: side(raw.before),
    after: side(raw.after),
    change: {
      size_bytes: change,
      size: formatSize(change),
      freed_nodes: raw.freedNodes,
      allocated_nodes: raw.allocatedNodes,
      details,
    },
  };
}
