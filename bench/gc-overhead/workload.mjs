// One measured run: an allocation-heavy loop with one GC observer (or none) attached.
//   node [--max-semi-space-size=1] workload.mjs <variant>
// With GC_BENCH_MODE=full-gcs or scavenges (needs --expose-gc), GC_BENCH_ITERATIONS GCs of that
// kind instead, each followed by a turn of the event loop: every observer delivers its event
// before the next GC, as in a server, where full GCs are seconds apart.
// Prints {"wallMs","cpuMs","events"}.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const peers = createRequire(new URL('../.peers/package.json', import.meta.url));
const variant = process.argv[2];
let events = 0;
const count = () => {
  events++;
};

const promRegistry = () => new (require('prom-client').Registry)();
function meterProvider() {
  const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
  class Reader extends MetricReader {
    async onShutdown() {}
    async onForceFlush() {}
  }
  return new MeterProvider({ readers: [new Reader()] });
}

const setups = {
  none: () => {},
  // Loaded, no listener: separates the cost of loading heapwatch from the cost of its hooks.
  'heapwatch-loaded': () => require('../../dist/index.cjs'),
  // The Node modules that loading heapwatch loads (worker_threads and the streams under it, v8,
  // os, diagnostics_channel), without heapwatch: a service has most of them loaded anyway.
  'node-modules-of-heapwatch': () => {
    for (const m of ['node:worker_threads', 'node:v8', 'node:os', 'node:diagnostics_channel']) require(m);
  },
  // Only the addon, none of heapwatch's JavaScript: what its native side costs while unhooked.
  'heapwatch-addon-only': () =>
    process.dlopen(
      { exports: {} },
      fileURLToPath(new URL('../../build/Release/heapwatch.node', import.meta.url)),
    ),
  'heapwatch-stats': () => require('../../dist/index.cjs').on('stats', count),
  'heapwatch-gc': () => require('../../dist/index.cjs').on('gc', count),
  // heapwatch/prometheus and heapwatch/opentelemetry registered, never scraped or collected: what
  // they add at every GC ('stats', 'gc' and 'leak' listeners, a histogram observation). The
  // -loaded variants keep the same registry or MeterProvider without heapwatch's metrics: every
  // full GC also marks the library itself, which a process using it pays anyway.
  'prom-client-loaded': () => {
    globalThis.benchRegistry = promRegistry();
  },
  'heapwatch-prometheus': () => {
    require('../../dist/metrics/prometheus.cjs').registerHeapwatchMetrics({ register: promRegistry() });
  },
  'opentelemetry-sdk-loaded': () => {
    globalThis.benchMeterProvider = meterProvider();
  },
  'heapwatch-opentelemetry': () => {
    require('../../dist/metrics/opentelemetry.cjs').registerHeapwatchMetrics({
      meterProvider: meterProvider(),
    });
  },
  // Loaded here, not at the top: every variant loads only what it uses.
  'perf_hooks-gc': () => {
    const { PerformanceObserver } = require('node:perf_hooks');
    new PerformanceObserver((list) => (events += list.getEntries().length)).observe({ entryTypes: ['gc'] });
  },
  'airbnb-node-memwatch': () => peers('@airbnb/node-memwatch').on('stats', count),
  'sematext-gc-stats': () => peers('@sematext/gc-stats')().on('stats', count),
};
const setup = setups[variant];
if (!setup) throw new Error(`unknown variant ${variant}; expected one of ${Object.keys(setups).join(', ')}`);
setup();

// Mostly short-lived objects, some kept for a while (promoted, then freed by full GCs).
const ITERATIONS = Number(process.env.GC_BENCH_ITERATIONS ?? 15_000_000);
// A full GC every this many iterations (needs --expose-gc; 0: only V8's own). callgrind.mjs uses
// it so that every variant runs the same full GCs: without it, anything that changes the heap a
// little (loading a module) moves V8's own full GCs, and with them the whole count, by +-2 %.
const FULL_GC_EVERY = Number(process.env.GC_BENCH_FULL_GC_EVERY ?? 0);
// Kept for the whole run: this many array slots allocated before the loop. Each callgrind repeat
// uses another size, which moves where the loop's objects land and when the scavenges fall;
// the instruction count moves with that by up to ~0.5 M per 4 M iterations (default profile),
// more than between two observers of a full GC. Without it, repeats are the same run.
globalThis.gcBenchPad = new Array(Number(process.env.GC_BENCH_PAD ?? 0)).fill(0);

function work() {
  const kept = new Array(20_000);
  let sink = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const o = { i, s: `k${i & 1023}`, a: [i, i + 1, i + 2] };
    if ((i & 15) === 0) kept[(i >> 4) % kept.length] = o;
    sink += o.a.length;
    if (FULL_GC_EVERY > 0 && i % FULL_GC_EVERY === FULL_GC_EVERY - 1) globalThis.gc();
  }
  return sink;
}

// The allocation loop never yields, so observers deliver their events in one batch at the end.
// Here each GC's event is delivered before the next GC: what an observer costs per GC of that
// kind, all included (its hooks, its event, and for full GCs, marking and sweeping what it keeps).
async function forcedGcs(minor) {
  for (let i = 0; i < ITERATIONS; i++) {
    globalThis.gc(minor ? { type: 'minor' } : undefined);
    await new Promise(setImmediate);
  }
}

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const mode = process.env.GC_BENCH_MODE;
if (mode !== undefined && mode !== 'full-gcs' && mode !== 'scavenges')
  throw new Error(`GC_BENCH_MODE: expected full-gcs or scavenges (or unset), got ${mode}`);
if (mode === 'full-gcs' || mode === 'scavenges') await forcedGcs(mode === 'scavenges');
else work();
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
// Count events once everything queued has been delivered (under valgrind, a short timer could
// fire first).
process.once('beforeExit', () => {
  console.log(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, events }));
});
