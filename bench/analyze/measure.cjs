// Preloaded (node -r) into every measured process: at exit, writes what the process used to
// the file named by BENCH_MEASURE_OUT: peak resident memory (VmHWM), CPU time.
const { writeFileSync, readFileSync } = require('node:fs');

const out = process.env.BENCH_MEASURE_OUT;
if (out) {
  process.on('exit', () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (key) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))[1]);
    const cpu = process.cpuUsage();
    writeFileSync(
      out,
      JSON.stringify({
        peakRssBytes: kb('VmHWM') * 1024,
        cpuMs: (cpu.user + cpu.system) / 1000,
        ...globalThis.benchSteps,
      }),
    );
  });
}
