// Runs one workload with heapwatch listening for 'leak' and prints one JSON line:
//   node bench/leak-detection/run.mjs <leak|churn|sawtooth|warmup> <seconds> [default|memwatch]
// Needs the built package (npm run build).
import { createRequire } from 'node:module';

const [workload, seconds = '30', rule = 'default'] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const heapwatch = require('../../dist/index.cjs');

heapwatch.configure({ leak: rule });
const t0 = Date.now();
const leaks = [];
let fullGcs = 0;
let lastHeap = 0;
heapwatch.on('leak', (info) =>
  leaks.push({ atMs: Date.now() - t0, growth: info.growth, reason: info.reason }),
);
heapwatch.on('stats', (stats) => {
  fullGcs++;
  lastHeap = stats.current_base;
});
await import(`./workloads/${workload}.mjs`);
setTimeout(() => {
  const cpu = process.cpuUsage();
  console.log(
    JSON.stringify({
      workload,
      rule,
      seconds: Number(seconds),
      fullGcs,
      heapMb: Math.round(lastHeap / 1048576),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      firstLeakMs: leaks[0]?.atMs ?? null,
      leaks,
    }),
  );
  process.exit(0);
}, Number(seconds) * 1000);
