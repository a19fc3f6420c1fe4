// Side-by-side GC-observer overhead: every variant, two heap profiles, interleaved repeats.
//   node bench/gc-overhead/run.mjs [repeats=7]
// Installs the peers into bench/.peers (git-ignored) on first use. Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const peersDir = join(here, '..', '.peers');
const repeats = Number(process.argv[2] ?? 7);

if (!existsSync(join(peersDir, 'node_modules', '@sematext', 'gc-stats'))) {
  mkdirSync(peersDir, { recursive: true });
  writeFileSync(join(peersDir, 'package.json'), '{"name":"heapwatch-bench-peers","private":true}\n');
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '@airbnb/node-memwatch@3', '@sematext/gc-stats@1'],
    {
      cwd: peersDir,
      stdio: 'inherit',
    },
  );
}

const variants = [
  'none',
  'heapwatch-stats',
  'heapwatch-gc',
  'perf_hooks-gc',
  'airbnb-node-memwatch',
  'sematext-gc-stats',
];
const profiles = {
  default: [],
  'small young generation (--max-semi-space-size=1)': ['--max-semi-space-size=1'],
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = {};
for (const [profile, flags] of Object.entries(profiles)) {
  const runs = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < repeats; r++) {
    // Interleaved, rotating order: drift on a shared machine hits every variant alike.
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r) % variants.length];
      const out = execFileSync(process.execPath, [...flags, join(here, 'workload.mjs'), v], {
        encoding: 'utf8',
      });
      runs[v].push(JSON.parse(out));
    }
  }
  results[profile] = runs;
  const base = runs.none;
  const baseWall = median(base.map((x) => x.wallMs));
  const baseCpu = median(base.map((x) => x.cpuMs));
  console.log(`\n### ${profile} (median of ${repeats})\n`);
  console.log('| variant | wall ms | vs none | CPU ms | vs none | events |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const v of variants) {
    const wall = median(runs[v].map((x) => x.wallMs));
    const cpu = median(runs[v].map((x) => x.cpuMs));
    const pct = (a, b) => (v === 'none' ? '' : `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`);
    console.log(
      `| ${v} | ${wall.toFixed(0)} | ${pct(wall, baseWall)} | ${cpu.toFixed(0)} | ${pct(cpu, baseCpu)} | ${median(runs[v].map((x) => x.events))} |`,
    );
  }
}
mkdirSync(join(here, '..', 'out'), { recursive: true });
writeFileSync(
  join(here, '..', 'out', 'gc-overhead.json'),
  `${JSON.stringify({ node: process.version, results }, null, 2)}\n`,
);
