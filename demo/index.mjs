// `npm run demo`: heapwatch at work, one part after another. Files go to ./demo-output/.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import heapwatch from 'heapwatch';
import * as heapDiff from './heap-diff.mjs';
import * as production from './production.mjs';
import { say, showSnapshotProgress } from './progress.mjs';
import * as snapshots from './snapshots.mjs';
import * as statsAndLeak from './stats-and-leak.mjs';

const out = join(process.cwd(), 'demo-output');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
heapwatch.configure({ dir: out });
const stopProgress = showSnapshotProgress([out]);

say(`Every file below goes to ${out}/ (mode 0600: a snapshot holds every string in the heap).`);

say('\n== 1. Snapshots: the Promise API, the callback API, and SIGUSR2 while JavaScript is busy');
await snapshots.run(out);

say("\n== 2. GC statistics and leak detection (memwatch's 'stats' and 'leak' events)");
const leak = await statsAndLeak.run();

say('\n== 3. HeapDiff around a leaking loop, with retainer paths');
const diff = heapDiff.run();

say('\n== 4. Production settings, in child processes configured only by NODE_HEAPDUMP_OPTIONS');
const prod = production.run(out);

stopProgress();
if (!leak.found || !diff.found || !prod.ok) {
  say('\nsomething did not happen as it should: see above');
  process.exitCode = 1;
}
