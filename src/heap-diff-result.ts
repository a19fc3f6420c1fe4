// HeapDiff's end(): its options checked, the addon's report shaped as memwatch's result.
import { argumentError, invalidArg } from './errors.js';
import { formatSize } from './format.js';
import type {
  HeapDiffDetail,
  HeapDiffEndOptions,
  HeapDiffResult,
  HeapDiffSnapshotInfo,
  NativeHeapDiff,
  NativeHeapSummary,
} from './heap-diff.js';

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

const OPTION_KEYS = ['retainers'];

/** Checks `end()`'s options; returns the number of groups to find retainers for. */
export function parseEndOptions(options: unknown): number {
  if (options === undefined) return 0;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg('options', 'an object like { retainers: 3 }', options);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      const hint = key.toLowerCase().startsWith('retainer') ? ' (did you mean `retainers`?)' : '';
      throw argumentError(
        `Unknown option \`${key}\` in HeapDiff end() options${hint}; known options: ${OPTION_KEYS.join(', ')}`,
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
