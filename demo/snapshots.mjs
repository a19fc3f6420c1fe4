// heapwatch at work: a snapshot through the API, then one by signal while JavaScript is busy.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import heapwatch from 'heapwatch';

/** Writes a snapshot through each API, then one by signal while JavaScript is busy. */
export async function run(out) {
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const show = (path) => relative(process.cwd(), path);

  // 1. Some heap worth looking at: a class that a leak hunt would find.
  class Order {
    constructor(id) {
      this.id = id;
      this.items = Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${id}-${i}`, qty: i }));
    }
  }
  const orders = Array.from({ length: 20_000 }, (_, i) => new Order(i));
  console.log(`built ${orders.length} Order objects (heap used: ${mb(process.memoryUsage().heapUsed)})`);

  // 2. A snapshot through the Promise API.
  const api = await heapwatch.snapshot();
  console.log(`snapshot(): ${show(api.path)}, ${mb(api.bytes)} in ${api.durationMs.toFixed(0)} ms`);

  // 3. heapdump's callback API, unchanged.
  heapwatch.writeSnapshot(join(out, 'named.heapsnapshot'), (err, filename) => {
    console.log(err ? `writeSnapshot failed: ${err.message}` : `writeSnapshot(): ${show(filename)}`);
  });

  // 4. SIGUSR2 while JavaScript is stuck in a loop: heapdump and --heapsnapshot-signal wait for the
  //    loop to end; heapwatch writes the snapshot during it.
  const before = readdirSync(out).length;
  const signalled = new Promise((resolve) => heapwatch.once('snapshot', resolve));
  const start = Date.now();
  process.kill(process.pid, 'SIGUSR2');
  let spins = 0;
  while (Date.now() - start < 1500) spins++; // busy: no event loop turn for 1.5 s
  const written = readdirSync(out).length - before;
  console.log(
    `busy loop ran ${spins} spins in ${Date.now() - start} ms; files written during it: ${written}`,
  );
  const event = await signalled;
  if ('error' in event) {
    console.log(`signal snapshot failed: ${event.error.message}`);
    process.exitCode = 1;
  } else {
    console.log(
      `'snapshot' event: ${show(event.path)} (${event.trigger}), ${mb(event.bytes)} in ${event.durationMs.toFixed(0)} ms`,
    );
  }

  console.log(`
Open a snapshot: Chrome -> chrome://inspect -> "Open dedicated DevTools for Node" -> Memory tab ->
Load, or in any DevTools window: Memory tab -> Load profile. Search for "Order" in the Summary view.
Files are in ${show(out)}/ (mode 0600: they contain every string in the heap).`);
  void orders;
}
