// heapwatch's memwatch half: 'stats' after full GCs, a 'leak' found in a leaking loop, and (as the
// old heapdump + memwatch recipe did) a snapshot written from the 'leak' handler.
import { relative } from 'node:path';
import heapwatch from 'heapwatch';

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

// A leak: every 10 ms, ten ~1 KB records go into an array nobody clears (about 1 MB/s).
class Session {
  constructor(id) {
    this.id = id;
    this.history = Array.from({ length: 120 }, (_, i) => id + i);
  }
}

/** Resolves once a leak has been reported and the snapshot written (20 s at most). */
export function run() {
  const onStats = (s) => {
    console.log(
      `stats: full GC #${s.num_full_gc} (${s.num_inc_gc} others), heap ${mb(s.current_base)}, ` +
        `trend ${s.usage_trend}%, pause ${s.pause_ms.toFixed(1)} ms`,
    );
  };
  heapwatch.on('stats', onStats);

  const sessions = [];
  let id = 0;
  const leaking = setInterval(() => {
    for (let k = 0; k < 10; k++) sessions.push(new Session(id++));
  }, 10);

  return new Promise((resolve) => {
    const finish = (found) => {
      clearInterval(leaking);
      clearTimeout(deadline);
      heapwatch.off('stats', onStats);
      heapwatch.off('leak', onLeak);
      resolve({ found, sessions: sessions.length });
    };
    const deadline = setTimeout(() => {
      console.log('no leak reported within 20 s');
      finish(false);
    }, 20_000);
    const onLeak = (info) => {
      console.log(`leak: ${info.reason} (growth ${mb(info.growth)}, since ${info.start.toISOString()})`);
      heapwatch.writeSnapshot((err, filename) => {
        if (err) console.log(`snapshot failed: ${err.message}`);
        else
          console.log(
            `snapshot from the 'leak' handler: ${relative(process.cwd(), filename)} (look for Session)`,
          );
      });
      finish(true);
    };
    heapwatch.on('leak', onLeak);
    heapwatch.gc(); // a first 'stats' at once
  });
}
