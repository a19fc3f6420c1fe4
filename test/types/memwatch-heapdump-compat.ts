// Compiled by `tsc --noEmit` (npm run typecheck), never run: code written against
// @types/memwatch-next and @types/heapdump must compile against heapwatch's declarations.
import * as heapdump from '../../src/index.cjs';
import * as memwatch from '../../src/index.cjs';

// @types/memwatch-next
memwatch.on('leak', (info: memwatch.LeakInformation) => {
  const when: Date = info.start;
  const until: Date = info.end;
  console.log(info.growth.toFixed(0), info.reason, when, until);
});
memwatch.on('stats', (stats: memwatch.StatsInformation) => {
  const keys: number[] = [
    stats.num_full_gc,
    stats.num_inc_gc,
    stats.heap_compactions,
    stats.usage_trend,
    stats.estimated_base,
    stats.current_base,
    stats.min,
    stats.max,
  ];
  console.log(keys);
});
// @types/memwatch-next let any event name through; heapwatch's events are typed, so a misspelled
// one, or a listener of the wrong shape, is an error where it is written.
// @ts-expect-error: no such event
memwatch.on('stat', (data: object) => console.log(data));
// @ts-expect-error: 'stats' listeners take StatsInformation
memwatch.on('stats', (data: string) => console.log(data));
memwatch.once('stats', () => {});
memwatch.removeAllListeners('stats');
memwatch.gc();
const gcReturnsNothing: ReturnType<typeof memwatch.gc> extends void ? true : false = true;

// HeapDiff: @types/memwatch-next declared `end(): void`; code that ignores the result or reads
// @types/node-memwatch's HeapDiffInformation compiles.
const hd = new memwatch.HeapDiff();
hd.end();
const diff = new memwatch.HeapDiff().end();
const grew: number = diff.change.size_bytes + diff.before.nodes + diff.after.size_bytes;
for (const d of diff.change.details) console.log(d.what, d['+'], d['-'], d.size_bytes, d.size);
console.log(grew, diff.change.freed_nodes, diff.change.allocated_nodes);

// @types/node-memwatch's typed listeners infer the payloads.
memwatch.on('stats', (stats) => stats.current_base.toFixed(0));
memwatch.on('leak', (info) => info.reason.toUpperCase());
memwatch.on('gc', (event) => {
  const type: memwatch.GcType = event.type;
  return [type, event.durationMs, event.before.used_heap_size, event.after.used_heap_size];
});

// @types/heapdump
heapdump.writeSnapshot();
heapdump.writeSnapshot('/tmp/app.heapsnapshot');
heapdump.writeSnapshot((err: Error | null, filename?: string) => console.log(err, filename));
heapdump.writeSnapshot('/tmp/app.heapsnapshot', (err, filename) => console.log(err, filename));
// The error is a HeapwatchError: its code and errno are typed.
heapdump.writeSnapshot((err) => {
  if (err) console.log(err.code.toUpperCase(), err.errno, err.syscall, err.path);
});

export { gcReturnsNothing };
