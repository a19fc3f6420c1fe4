// `npm run demo`: heapwatch at work, one part after another. Files go to ./demo-output/.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import heapwatch from 'heapwatch';
import * as snapshots from './snapshots.mjs';
import * as statsAndLeak from './stats-and-leak.mjs';

const out = join(process.cwd(), 'demo-output');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
heapwatch.configure({ dir: out });

console.log('== 1. Snapshots: API, callback, and SIGUSR2 while JavaScript is busy');
await snapshots.run(out);

console.log("\n== 2. GC statistics and leak detection (memwatch's 'stats' and 'leak')");
const leak = await statsAndLeak.run();
if (!leak.found) process.exitCode = 1;
