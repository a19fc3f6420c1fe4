// What both the code that loads with heapwatch (dist/index.cjs) and the code that loads on first
// use (dist/lazy.cjs) need one copy of: the error classes (instanceof) and the settings'
// defaults. Built once, as dist/shared.cjs; other modules a bundle needs are bundled into it.
// One plain object, not ES module exports: a CommonJS build of those would add a getter, its
// closure and two accessors per name to the heap for as long as the process runs.
import { argumentError, describe, HeapwatchError, invalidArg, systemError } from './errors.js';
import { DEFAULT_LEAK, DEFAULT_NAME, DEFAULTS, MEMWATCH_LEAK } from './settings.js';

export = {
  HeapwatchError,
  argumentError,
  describe,
  invalidArg,
  systemError,
  DEFAULTS,
  DEFAULT_LEAK,
  DEFAULT_NAME,
  MEMWATCH_LEAK,
};
