// What both the code that loads with heapwatch (dist/index.cjs) and the code that loads on first
// use (dist/lazy.cjs) need one copy of: the error classes (instanceof). Built once, as
// dist/shared.cjs, and loaded with the first error or the first use of lazy.cjs. The settings'
// defaults (settings.ts) are plain data, compared by value only: each bundle has its copy.
// One plain object, not ES module exports: a CommonJS build of those would add a getter, its
// closure and two accessors per name to the heap for as long as the process runs.
import { argumentError, describe, HeapwatchError, invalidArg, systemError } from './errors.js';

export = { HeapwatchError, argumentError, describe, invalidArg, systemError };
