// The one instance per environment, shared by the ESM and CJS builds.
import { createHeapwatch, type Heapwatch, type HostInfo } from './heapwatch.js';
import { loadBinding } from './native.js';

// Both builds (and any bundled copy of this major version) find the same object here, so
// `require('heapwatch') === (await import('heapwatch')).default`. globalThis is per environment,
// so each worker gets its own.
const KEY = Symbol.for('heapwatch.v1');
const store = globalThis as unknown as Record<symbol, Heapwatch | undefined>;

/** This environment's heapwatch, created on the first call; the loaders load what loads on first use. */
export function instance({ lazy, errors }: Pick<HostInfo, 'lazy' | 'errors'>): Heapwatch {
  const existing = store[KEY];
  if (existing !== undefined) return existing;
  const binding = loadBinding(undefined, (root, cause) => lazy().loadError(root, cause));
  // The addon answers isMainThread; node:worker_threads (which loads Node's streams) is loaded
  // only in a worker, where Node has loaded it already.
  const isMainThread = binding.isMainThread();
  const threadId = isMainThread
    ? 0
    : (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;
  const created = createHeapwatch(binding, {
    isMainThread,
    threadId,
    envOptions: process.env.NODE_HEAPDUMP_OPTIONS,
    warn: (line) => process.stderr.write(`${line}\n`),
    lazy,
    errors,
  });
  store[KEY] = created;
  return created;
}
