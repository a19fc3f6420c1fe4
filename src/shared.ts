// What both the code that loads with heapwatch (dist/index.cjs) and the code that loads on first
// use (dist/lazy.cjs) need one copy of: the error classes (instanceof) and the settings'
// defaults. Built once, as dist/shared.cjs; other modules a bundle needs are bundled into it.
export * from './errors.js';
export * from './settings.js';
