// heapwatch's memwatch half: 'stats' after full GCs, a 'leak' found in a leaking loop, and (as the
// old heapdump + memwatch recipe did) a snapshot written from the 'leak' handler.
import heapwatch from 'heapwatch';
import { say } from './progress.mjs';

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
  say(`A loop adds ~1 MB of Session objects per second and never frees them. One line per 'stats'
event (after each full GC): the heap that GC kept, memwatch's usage_trend (0 % until the 10th
full GC: it compares two moving averages), and how many other GCs (scavenges, incremental
marking steps) ran since the first listener was added.`);
  const onStats = (s) => {
    say(
      `  full GC #${s.num_full_gc}: heap kept ${mb(s.current_base)}, usage_trend ${s.usage_trend} %, ` +
        `${s.num_inc_gc} other GCs so far, pause ${s.pause_ms.toFixed(1)} ms`,
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
      say('no leak reported within 20 s');
      finish(false);
    }, 20_000);
    const onLeak = (info) => {
      say(`'leak' event: ${info.reason} (grew ${mb(info.growth)} since ${info.start.toISOString()})`);
      heapwatch.writeSnapshot((err, filename) => {
        if (err) say(`the snapshot failed: ${err.message}`);
        else say(`the 'leak' handler wrote ${filename}: look for Session in it`);
      });
      finish(true);
    };
    heapwatch.on('leak', onLeak);
    heapwatch.gc(); // a first 'stats' at once
  });
}
