// What loads on first use, not with heapwatch: options parsing, the production settings, the
// snapshot API, HeapDiff, leak detection, the loader's error. Code that is not loaded is not on the heap, where every
// full GC would mark it (docs/architecture.md, item 12). Built as its own file (dist/lazy.cjs).
export { parseEndOptions, toHeapDiffResult } from './heap-diff-result.js';
export { createLeakWatch } from './leak-watch.js';
export { loadError } from './load-error.js';
export { mergeSettings, parseEnvOptions, validateConfigure } from './options.js';
export { createProduction, ensureDir } from './production.js';
export { createSnapshotApi, toSnapshotEvent } from './snapshot.js';
