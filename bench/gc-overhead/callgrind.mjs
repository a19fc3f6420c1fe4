// Instruction counts (valgrind --tool=callgrind) per GC observer, with the steady-state cost
// separated from the one-time cost of loading and attaching the observer.
//
//   node bench/gc-overhead/callgrind.mjs [--iterations N] [--full-gcs G] [--scavenges S]
//        [--repeats R] [--jobs J] [--profiles default,small,full-gcs,scavenges]
//        [--variants none,heapwatch-stats,...]
//        [--full-gc-every K] [--node-flags="--predictable --no-incremental-marking"]
//
// Profiles: the allocation loop with V8's default heap ("default") and with a small young
// generation ("small"), N iterations; "full-gcs", G full GCs, and "scavenges", S scavenges, each
// GC followed by a turn of the event loop (every observer delivers its event before the next GC).
//
// Each variant runs workload.mjs with N and with 2N iterations, R times each, under callgrind
// (whole process, every thread); repeat r runs both sizes with heap layout r (GC_BENCH_PAD). The
// difference I(2N) - I(N) of one layout is what N more iterations of the allocation loop cost
// with the observer on: loading Node, loading the observer, attaching it and exiting cancel
// out. The figures are medians over the layouts. "Overhead" compares that steady-state figure
// with the same for no observer; "one-time" is I(N) minus the steady-state part, compared with
// no observer's. Instruction counts do not depend on what else the machine runs, unlike time.
// Needs valgrind and `npm run build`. Prints markdown; raw counts go to bench/out/callgrind.json.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXTRA_VARIANTS, ensurePeers, median, VARIANTS } from './peers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'out', 'callgrind');
const { values: opts } = parseArgs({
  options: {
    iterations: { type: 'string', default: '4000000' },
    'full-gcs': { type: 'string', default: '50' },
    scavenges: { type: 'string', default: '500' },
    repeats: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '2' },
    profiles: { type: 'string', default: 'default,small,full-gcs,scavenges' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    // --no-incremental-marking: V8 sizes incremental marking's steps by the time they take, so
    // with it a run repeats only to within ~2 M instructions (small profile); without it, to
    // within ~0.1 M. The workload's own full GCs (gc()) are atomic either way.
    'node-flags': { type: 'string', default: '--predictable --no-incremental-marking' },
    'full-gc-every': { type: 'string', default: '1000000' },
  },
});
const repeats = Number(opts.repeats);
const PROFILES = {
  default: { flags: [], size: Number(opts.iterations), unit: 'iterations' },
  small: { flags: ['--max-semi-space-size=1'], size: Number(opts.iterations), unit: 'iterations' },
  'full-gcs': {
    flags: [],
    size: Number(opts['full-gcs']),
    unit: 'full GCs',
    env: { GC_BENCH_MODE: 'full-gcs' },
  },
  scavenges: {
    flags: [],
    size: Number(opts.scavenges),
    unit: 'scavenges',
    env: { GC_BENCH_MODE: 'scavenges' },
  },
};
const profiles = opts.profiles.split(',');
const variants = opts.variants.split(',');
for (const p of profiles) if (!PROFILES[p]) throw new Error(`--profiles: unknown profile ${p}`);
for (const v of variants)
  if (![...VARIANTS, ...EXTRA_VARIANTS].includes(v)) throw new Error(`--variants: unknown variant ${v}`);
const fullGcEvery = Number(opts['full-gc-every']);
const nodeFlags = [...opts['node-flags'].split(' ').filter(Boolean), '--expose-gc'];

ensurePeers();
mkdirSync(outDir, { recursive: true });

// One job per (profile, variant, size, repeat); interleaved so that nothing runs in a block.
const jobs = [];
for (let r = 0; r < repeats; r++)
  for (const profile of profiles)
    for (const size of [PROFILES[profile].size, 2 * PROFILES[profile].size])
      for (const variant of variants) jobs.push({ profile, variant, size, r });

function runOne(job, index) {
  const file = join(outDir, `${index}.out`);
  const args = [
    '--tool=callgrind',
    `--callgrind-out-file=${file}`,
    process.execPath,
    ...nodeFlags,
    ...PROFILES[job.profile].flags,
    join(here, 'workload.mjs'),
    job.variant,
  ];
  const env = {
    ...process.env,
    GC_BENCH_ITERATIONS: String(job.size),
    GC_BENCH_FULL_GC_EVERY: String(fullGcEvery),
    // Repeat r runs with another heap layout (workload.mjs): the median is over layouts.
    GC_BENCH_PAD: String(job.r * 1000),
    ...PROFILES[job.profile].env,
  };
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { env, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error)
        return reject(new Error(`${job.variant} ${job.profile} ${job.size}: ${stderr.slice(-2000)}`));
      const summary = /^summary: (\d+)$/m.exec(readFileSync(file, 'utf8'));
      rmSync(file, { force: true });
      if (!summary) return reject(new Error(`${file}: no summary line`));
      resolve({ ...job, instructions: Number(summary[1]), ...JSON.parse(stdout) });
    });
  });
}

const results = [];
let next = 0;
async function worker() {
  while (next < jobs.length) {
    const index = next++;
    const result = await runOne(jobs[index], index);
    results.push(result);
    process.stderr.write(
      `[${results.length}/${jobs.length}] ${result.profile} ${result.variant} ${result.size}: ${(result.instructions / 1e6).toFixed(1)} M\n`,
    );
  }
}
await Promise.all(Array.from({ length: Number(opts.jobs) }, worker));

const M = (x) => (x / 1e6).toFixed(1);
const signed = (x, digits = 1) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
console.log(`Node ${process.version} ${nodeFlags.join(' ')}, median of ${repeats} heap layouts\n`);
for (const profile of profiles) {
  const { size: N, unit } = PROFILES[profile];
  const of = (variant, size) =>
    results.filter((x) => x.profile === profile && x.variant === variant && x.size === size);
  const figures = Object.fromEntries(
    variants.map((v) => {
      const [small, large] = [of(v, N), of(v, 2 * N)];
      const pairs = small.map((s) => [s, large.find((l) => l.r === s.r)]);
      const steadies = pairs.map(([s, l]) => l.instructions - s.instructions);
      const spread = Math.max(...steadies) - Math.min(...steadies);
      const events = median(large.map((x) => x.events)) - median(small.map((x) => x.events));
      return [
        v,
        {
          steady: median(steadies),
          once: median(pairs.map(([s, l]) => 2 * s.instructions - l.instructions)),
          spread,
          events,
        },
      ];
    }),
  );
  // GCs in N: what a per-GC observer reports (none of the variants changes V8's GCs).
  const gcs = PROFILES[profile].env
    ? N
    : (figures['heapwatch-gc']?.events ?? figures['perf_hooks-gc']?.events);
  const none = figures.none;
  console.log(`### ${profile} profile, N = ${N.toLocaleString('en')} ${unit}${gcs ? ` (${gcs} GCs)` : ''}\n`);
  console.log(
    '| variant | steady state, M instructions per N | vs none | per GC vs none | one-time vs none, M | steady state over layouts, max - min, M |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const v of variants) {
    const f = figures[v];
    const base = none && v !== 'none';
    console.log(
      `| ${v} | ${M(f.steady)} | ${base ? `${signed(((f.steady - none.steady) / none.steady) * 100, 2)}%` : ''} | ${
        base && gcs ? `${signed((f.steady - none.steady) / gcs / 1e3, 0)} k` : ''
      } | ${base ? signed((f.once - none.once) / 1e6) : ''} | ${M(f.spread)} |`,
    );
  }
  console.log('');
}
writeFileSync(
  join(here, '..', 'out', 'callgrind.json'),
  `${JSON.stringify({ node: process.version, nodeFlags, profiles: PROFILES, repeats, results }, null, 2)}\n`,
);
