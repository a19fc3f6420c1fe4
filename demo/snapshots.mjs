// Snapshots through both APIs, then one by signal while JavaScript is stuck in a loop.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import heapwatch from 'heapwatch';
import { say } from './progress.mjs';

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function run(out) {
  // Some heap worth looking at: a class that a leak hunt would find.
  class Order {
    constructor(id) {
      this.id = id;
      this.items = Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${id}-${i}`, qty: i }));
    }
  }
  const orders = Array.from({ length: 20_000 }, (_, i) => new Order(i));
  say(
    `built ${orders.length} Order objects; the JavaScript heap now holds ${mb(process.memoryUsage().heapUsed)}`,
  );

  const api = await heapwatch.snapshot();
  say(
    `snapshot() wrote ${api.path} (${mb(api.bytes)} in ${api.durationMs.toFixed(0)} ms; the thread waits meanwhile)`,
  );

  heapwatch.writeSnapshot(join(out, 'named.heapsnapshot'), (err, filename) => {
    say(
      err
        ? `writeSnapshot() failed: ${err.message}`
        : `writeSnapshot(name, callback), heapdump's API, wrote ${filename}`,
    );
  });

  // heapdump and Node's --heapsnapshot-signal answer only when the loop ends; heapwatch during it.
  say('sending SIGUSR2 to this process, then spinning in a loop without yielding for 1.5 s ...');
  const before = readdirSync(out).length;
  const signalled = new Promise((resolve) => heapwatch.once('snapshot', resolve));
  const start = Date.now();
  process.kill(process.pid, 'SIGUSR2');
  while (Date.now() - start < 1500) {} // busy: no turn of the event loop
  const written = readdirSync(out).length - before;
  say(`... the loop ended after ${Date.now() - start} ms; snapshots written while it ran: ${written}`);
  const event = await signalled;
  if ('error' in event) {
    say(`the signal snapshot failed: ${event.error.message}`);
    process.exitCode = 1;
  } else {
    say(
      `once JavaScript ran again, the 'snapshot' event reported it: ${event.path} (trigger '${event.trigger}')`,
    );
  }

  say(`
To look inside a snapshot: Chrome -> chrome://inspect -> "Open dedicated DevTools for Node" ->
Memory tab -> Load profile, and search for "Order" in the Summary view. Or, in a shell:
  npx heapwatch summary ${api.path}`);
  void orders;
}
