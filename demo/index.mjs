// `npm run demo`: heapwatch at work, one part after another. Files go to ./demo-output/.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import heapwatch from 'heapwatch';
import * as heapDiff from './heap-diff.mjs';
import * as production from './production.mjs';
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

console.log('\n== 3. HeapDiff around a leaking loop, with retainer paths');
const diff = heapDiff.run();

console.log('\n== 4. Production: retention and a snapshot near the heap limit');
const prod = production.run(out);

if (!leak.found || !diff.found || !prod.ok) {
  console.log('\nsomething did not happen as it should: see above');
  process.exitCode = 1;
}
