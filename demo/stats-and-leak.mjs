// heapwatch's memwatch half: 'stats' after full GCs, a 'leak' found in a leaking loop, and (as the
// old heapdump + memwatch recipe did) a snapshot written from the 'leak' handler.
//   node demo/stats-and-leak.mjs      (stops by itself; 20 s at most)
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import heapwatch from 'heapwatch';

const out = join(process.cwd(), 'demo-output');
mkdirSync(out, { recursive: true });
heapwatch.configure({ dir: out });
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

heapwatch.on('stats', (s) => {
  console.log(
    `stats: full GC #${s.num_full_gc} (${s.num_inc_gc} others), heap ${mb(s.current_base)}, ` +
      `trend ${s.usage_trend}%, pause ${s.pause_ms.toFixed(1)} ms`,
  );
});

// A leak: every 10 ms, ten ~1 KB records go into an array nobody clears (about 1 MB/s).
class Session {
  constructor(id) {
    this.id = id;
    this.history = Array.from({ length: 120 }, (_, i) => id + i);
  }
}
const sessions = [];
let id = 0;
const leaking = setInterval(() => {
  for (let k = 0; k < 10; k++) sessions.push(new Session(id++));
}, 10);

const deadline = setTimeout(() => {
  console.log('no leak reported within 20 s');
  clearInterval(leaking);
  process.exitCode = 1;
}, 20_000);

heapwatch.once('leak', (info) => {
  console.log(`leak: ${info.reason} (growth ${mb(info.growth)}, since ${info.start.toISOString()})`);
  heapwatch.writeSnapshot((err, filename) => {
    if (err) console.log(`snapshot failed: ${err.message}`);
    else
      console.log(
        `snapshot written from the 'leak' handler: ${relative(process.cwd(), filename)} (look for Session)`,
      );
  });
  clearInterval(leaking);
  clearTimeout(deadline);
});

heapwatch.gc(); // a first 'stats' at once
