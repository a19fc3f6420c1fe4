// One measured run: an allocation-heavy loop with one GC observer (or none) attached.
//   node [--max-semi-space-size=1] workload.mjs <variant>
// Prints {"wallMs","cpuMs","events"}.
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const peers = createRequire(new URL('../.peers/package.json', import.meta.url));
const variant = process.argv[2];
let events = 0;
const count = () => {
  events++;
};

const setups = {
  none: () => {},
  // Loaded, no listener: separates the cost of loading heapwatch from the cost of its hooks.
  'heapwatch-loaded': () => require('../../dist/index.cjs'),
  'heapwatch-stats': () => require('../../dist/index.cjs').on('stats', count),
  'heapwatch-gc': () => require('../../dist/index.cjs').on('gc', count),
  'perf_hooks-gc': () =>
    new PerformanceObserver((list) => (events += list.getEntries().length)).observe({ entryTypes: ['gc'] }),
  'airbnb-node-memwatch': () => peers('@airbnb/node-memwatch').on('stats', count),
  'sematext-gc-stats': () => peers('@sematext/gc-stats')().on('stats', count),
};
const setup = setups[variant];
if (!setup) throw new Error(`unknown variant ${variant}; expected one of ${Object.keys(setups).join(', ')}`);
setup();

// Mostly short-lived objects, some kept for a while (promoted, then freed by full GCs).
const ITERATIONS = Number(process.env.GC_BENCH_ITERATIONS ?? 15_000_000);

function work() {
  const kept = new Array(20_000);
  let sink = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const o = { i, s: `k${i & 1023}`, a: [i, i + 1, i + 2] };
    if ((i & 15) === 0) kept[(i >> 4) % kept.length] = o;
    sink += o.a.length;
  }
  return sink;
}

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
work();
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
// Let queued events arrive before counting them.
setTimeout(() => {
  console.log(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, events }));
}, 20);
