// HeapDiff: memwatch's heap comparison, over compact native tables instead of held snapshots.
// The class is made when `HeapDiff` is first read; checking end()'s options and shaping its result
// (heap-diff-result.ts) load with the first HeapDiff.
import type * as Result from './heap-diff-result.js';

/** The addon's opaque handle for one HeapDiff's first table (native memory). */
export type HeapDiffHandle = object & { readonly __heapDiffHandle: unique symbol };

/** One side of a diff as the addon reports it. */
export interface NativeHeapSummary {
  nodes: number;
  sizeBytes: number;
  /** ms since the epoch, taken just before the snapshot */
  time: number;
}

/** One group's change as the addon reports it. */
export interface NativeGroupChange {
  what: string;
  sizeBytes: number;
  allocated: number;
  freed: number;
  retainers?: string[];
}

export interface NativeHeapDiff {
  before: NativeHeapSummary;
  after: NativeHeapSummary;
  freedNodes: number;
  allocatedNodes: number;
  groups: NativeGroupChange[];
}

/** The part of the binding HeapDiff uses (native/heap_summary.h). */
export interface HeapDiffBinding {
  heapDiffStart(): HeapDiffHandle;
  heapDiffEnd(handle: HeapDiffHandle, retainers: number): NativeHeapDiff;
  heapDiffBytes(handle: HeapDiffHandle): number;
  /** Takes and deletes one snapshot; returns the ms it took (the benchmarks' reference). */
  bareSnapshot(): number;
}

/** The heap at one end of a HeapDiff. */
export interface HeapDiffSnapshotInfo {
  /** Nodes in V8's heap snapshot. */
  nodes: number;
  /** Total self size of those nodes, in bytes (HeapDiff's own objects left out). */
  size_bytes: number;
  /** `size_bytes` as memwatch prints it: `"1.78 mb"`. */
  size: string;
  /** When the snapshot was taken (memwatch 0.2.2 had this). */
  time: Date;
}

/** What changed in one group of objects. */
export interface HeapDiffDetail {
  /** The constructor name for objects, else `Array`, `String`, `Code`, `Closure`, `RegExp`,
   * `Number`, `Native`, `Symbol` or `BigInt`. */
  what: string;
  /** Self size of the allocated objects minus that of the freed ones. */
  size_bytes: number;
  size: string;
  /** Objects allocated (in the second snapshot only). */
  '+': number;
  /** Objects freed (in the first snapshot only). */
  '-': number;
  /** With `end({ retainers: n })`, for the n groups that grew most: sample paths from the GC
   * roots to allocated objects of this group, e.g.
   * `global > cache (property) > Map > table (internal) > (internal array) > 7 (internal) > LeakingClass`. */
  retainers?: string[];
}

/** What `end()` returns: memwatch's shape, plus `time` on both ends. */
export interface HeapDiffResult {
  before: HeapDiffSnapshotInfo;
  after: HeapDiffSnapshotInfo;
  change: {
    size_bytes: number;
    size: string;
    freed_nodes: number;
    allocated_nodes: number;
    /** One entry per group that changed, sorted by `what` in byte order. */
    details: HeapDiffDetail[];
  };
}

export interface HeapDiffEndOptions {
  /** For this many groups that grew most (by net bytes), add sample retainer paths.
   * Default 0: exactly memwatch's output. Costs one extra walk of the second snapshot. */
  retainers?: number;
}

/** An object that records the heap when created and compares it with the heap at `end()`. */
export interface HeapDiff {
  /**
   * Records the heap again and returns what changed since the constructor. Once only.
   * @example
   *   const diff = new heapwatch.HeapDiff();
   *   runSuspectCode();
   *   console.dir(diff.end({ retainers: 2 }), { depth: null });
   */
  end(options?: HeapDiffEndOptions): HeapDiffResult;
}

export interface HeapDiffConstructor {
  /** Records the heap now: pauses for about one heap snapshot, then holds a compact table
   * (16 bytes per snapshot node) in native memory until `end()`. */
  new (): HeapDiff;
  readonly prototype: HeapDiff;
}

/**
 * Makes the HeapDiff class over a binding. The class is named HeapDiff on purpose: the addon
 * leaves objects of that name out of both tables, as memwatch did.
 */
export function createHeapDiff(
  binding: () => HeapDiffBinding,
  load: () => Pick<typeof Result, 'parseEndOptions' | 'toHeapDiffResult'>,
): HeapDiffConstructor {
  class HeapDiff {
    // Declared before the snapshot is taken, so that storing the handle allocates nothing.
    #handle: HeapDiffHandle | null = null;
    #ended = false;

    constructor() {
      // Loaded before the first snapshot, so that its code is not counted as new in the diff.
      load();
      this.#handle = binding().heapDiffStart();
    }

    end(options?: HeapDiffEndOptions): HeapDiffResult {
      if (this.#ended) throw new Error('attempt to end() a HeapDiff that was already ended');
      const { parseEndOptions, toHeapDiffResult } = load();
      const retainers = parseEndOptions(options);
      this.#ended = true;
      const raw = binding().heapDiffEnd(this.#handle!, retainers);
      this.#handle = null;
      return toHeapDiffResult(raw);
    }
  }

  // memwatch's exact error for a call without `new` (a class would throw V8's own message).
  // The instance is built by the class with this function as new.target, so subclasses and
  // instanceof work. The property key gives the function its name, HeapDiff, without
  // shadowing the class.
  const Impl = HeapDiff;
  const { HeapDiff: Public } = {
    HeapDiff: function (this: unknown): HeapDiff {
      if (new.target === undefined) {
        throw new TypeError('Use the new operator to create instances of this object.');
      }
      return Reflect.construct(Impl, [], new.target) as HeapDiff;
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
