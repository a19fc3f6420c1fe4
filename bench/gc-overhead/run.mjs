// Side-by-side GC-observer overhead: every variant, two heap profiles, interleaved repeats.
//   node bench/gc-overhead/run.mjs [repeats=7]
// Installs the peers into bench/.peers (git-ignored) on first use. Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePeers, median, VARIANTS } from './peers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repeats = Number(process.argv[2] ?? 7);

ensurePeers();
const variants = VARIANTS.filter((v) => v !== 'heapwatch-loaded');
const profiles = {
  default: [],
  'small young generation (--max-semi-space-size=1)': ['--max-semi-space-size=1'],
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
