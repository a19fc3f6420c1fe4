// Snapshot analysis, side by side in one run: `heapwatch summary` end to end against memlab
// (getFullHeapFromFile: parse + dominators) and @vscode/v8-heap-parser (decode + class groups
// with retained sizes), each in a fresh process, at two sizes; then optionally one big snapshot.
//   node bench/analyze/run.mjs [--repeats 3] [--scales 1,4] [--big 24]
// Snapshots are made by generate.mjs into bench/out/analyze (git-ignored); @vscode/v8-heap-parser
// is installed into bench/.peers on first use; memlab is a dev dependency.
// --big N: a snapshot of scale N and a second one of the same process (generate.mjs --twice),
// then `heapwatch summary` and `heapwatch diff` on them, once each (niced; other people use this
// machine): time and peak RSS.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { freemem, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'bench', 'out', 'analyze');
const peers = join(root, 'bench', '.peers');
mkdirSync(out, { recursive: true });

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const repeats = Number(opt('--repeats', '3'));
const scales = opt('--scales', '1,4').split(',').map(Number);
const big = opt('--big', undefined);

if (!existsSync(join(peers, 'node_modules', '@vscode', 'v8-heap-parser'))) {
  console.error('installing @vscode/v8-heap-parser into bench/.peers ...');
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefix', peers, '@vscode/v8-heap-parser@0.1.0'],
    {
      stdio: 'inherit',
    },
  );
}
if (!existsSync(join(root, 'dist', 'cli.cjs'))) throw new Error('build first: npm run build:ts');

function snapshotFor(scale, twice = false) {
  const file = join(out, `scale-${scale}.heapsnapshot`);
  if (!existsSync(file) || (twice && !existsSync(file.replace('.heapsnapshot', '.2.heapsnapshot')))) {
    console.error(`writing ${file} ...`);
    execFileSync(
      'nice',
      [
        '-n',
        '10',
        process.execPath,
        '--max-old-space-size=16384',
        join(here, 'generate.mjs'),
        file,
        String(scale),
        ...(twice ? ['--twice'] : []),
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  }
  return file;
}

function header(file) {
  const fd = Buffer.alloc(4096);
  const handle = openSync(file, 'r');
  readSync(handle, fd, 0, 4096, 0);
  closeSync(handle);
  const text = fd.toString('utf8');
  return {
    nodes: Number(text.match(/"node_count":(\d+)/)[1]),
    edges: Number(text.match(/"edge_count":(\d+)/)[1]),
    bytes: statSync(file).size,
  };
}

/** One process: wall time from spawn to exit, and what measure.cjs wrote. */
function measure(argv, { nice = false, heap } = {}) {
  const result = join(out, `measure-${process.pid}.json`);
  rmSync(result, { force: true });
  const node = [
    process.execPath,
    '-r',
    join(here, 'measure.cjs'),
    ...(heap ? [`--max-old-space-size=${heap}`] : []),
    ...argv,
  ];
  const cmd = nice ? ['nice', ['-n', '10', ...node]] : [node[0], node.slice(1)];
  const t = performance.now();
  const r = spawnSync(cmd[0], cmd[1], {
    env: { ...process.env, BENCH_MEASURE_OUT: result },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wallMs = performance.now() - t;
  if (r.status !== 0)
    return {
      failed: `${r.signal ?? `exit ${r.status}`}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    };
  return { wallMs, ...JSON.parse(readFileSync(result, 'utf8')) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b) => (b / 1048576).toFixed(0);
const s = (ms) => (ms / 1000).toFixed(2);

const SUBJECTS = {
  baseline: () => ['-e', ''],
  heapwatch: (file) => [join(root, 'dist', 'cli.cjs'), 'summary', file, '--json', '--quiet', '--top', '10'],
  'v8-heap-parser': (file) => [join(here, 'peers.cjs'), 'v8-heap-parser', file],
  memlab: (file) => [join(here, 'peers.cjs'), 'memlab', file],
};

console.log(
  `# snapshot analysis, ${new Date().toISOString()}, Node ${process.version}, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const scale of scales) {
  const file = snapshotFor(scale);
  const h = header(file);
  const runs = Object.fromEntries(Object.keys(SUBJECTS).map((k) => [k, []]));
  for (let r = 0; r < repeats; r++) {
    const order = Object.keys(SUBJECTS);
    for (let i = 0; i < r; i++) order.push(order.shift()); // rotate, so that no subject always goes first
    for (const subject of order) {
      const m = measure(SUBJECTS[subject](file), { heap: subject === 'memlab' ? 16384 : undefined });
      runs[subject].push(m);
      if (m.failed) console.error(`${subject}: ${m.failed}`);
    }
  }
  const baseline = median(runs.baseline.map((m) => m.peakRssBytes));
  console.log(
    `\n## scale ${scale}: ${mb(h.bytes)} MB snapshot, ${h.nodes.toLocaleString('en-US')} nodes, ${h.edges.toLocaleString('en-US')} edges (median of ${repeats}; load average now ${loadavg()[0].toFixed(1)})\n`,
  );
  console.log("| subject | wall s | CPU s | peak RSS MB | over Node's baseline MB | steps |");
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  const row = {};
  for (const [subject, ms] of Object.entries(runs)) {
    const ok = ms.filter((m) => !m.failed);
    if (ok.length === 0) {
      console.log(`| ${subject} | failed: ${ms[0].failed} | | | | |`);
      continue;
    }
    const wall = median(ok.map((m) => m.wallMs));
    const cpu = median(ok.map((m) => m.cpuMs));
    const rss = median(ok.map((m) => m.peakRssBytes));
    row[subject] = { wall, cpu, rss };
    const steps = ['decodeMs', 'classGroupsMs', 'parseAndDominatorsMs']
      .filter((k) => ok[0][k] !== undefined)
      .map((k) => `${k.replace('Ms', '')} ${s(median(ok.map((m) => m[k])))} s`)
      .join(', ');
    console.log(
      `| ${subject} | ${s(wall)} | ${s(cpu)} | ${mb(rss)} | ${subject === 'baseline' ? '' : mb(rss - baseline)} | ${steps} |`,
    );
  }
  if (row.heapwatch) {
    const over = row.heapwatch.rss - baseline;
    const budget = 40 * h.nodes + 12 * h.edges;
    console.log(
      `\nheapwatch over Node's baseline: ${mb(over)} MB = ${((over / (40 * h.nodes + 12 * h.edges)) * 100).toFixed(0)}% of the budget (40 B/node + 12 B/edge = ${mb(budget)} MB)`,
    );
    for (const peer of ['v8-heap-parser', 'memlab']) {
      if (!row[peer]) continue;
      console.log(
        `heapwatch vs ${peer}: ${(row[peer].wall / row.heapwatch.wall).toFixed(1)}x faster (wall), ${(row[peer].cpu / row.heapwatch.cpu).toFixed(1)}x (CPU), peak RSS ${((row.heapwatch.rss / row[peer].rss) * 100).toFixed(0)}% of ${peer}'s`,
      );
    }
  }
}

if (big !== undefined) {
  console.log(`\n## big: scale ${big}, free memory ${mb(freemem())} MB of ${mb(totalmem())} MB`);
  const file = snapshotFor(Number(big), true);
  const second = file.replace('.heapsnapshot', '.2.heapsnapshot');
  for (const f of [file, second]) {
    const h = header(f);
    console.log(
      `${f}: ${mb(h.bytes)} MB, ${h.nodes.toLocaleString('en-US')} nodes, ${h.edges.toLocaleString('en-US')} edges`,
    );
  }
  console.log(`free memory before the analysis: ${mb(freemem())} MB`);
  for (const [what, argv] of [
    ['summary', [join(root, 'dist', 'cli.cjs'), 'summary', file, '--json', '--quiet']],
    ['diff', [join(root, 'dist', 'cli.cjs'), 'diff', file, second, '--json', '--quiet', '--retainers', '3']],
  ]) {
    const m = measure(argv, { nice: true });
    console.log(
      m.failed
        ? `heapwatch ${what}: ${m.failed}`
        : `heapwatch ${what}: ${s(m.wallMs)} s wall, ${s(m.cpuMs)} s CPU, peak RSS ${mb(m.peakRssBytes)} MB`,
    );
  }
}
