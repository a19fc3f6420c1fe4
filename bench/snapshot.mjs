#!/usr/bin/env node
// Snapshot write benchmark: heapwatch's writeSnapshot vs v8.writeHeapSnapshot vs heapdump@0.3.15,
// on the same deterministic heap, each measurement in a fresh child process.
//
//   node bench/snapshot.mjs [--sizes 50,300] [--runs 5,3] [--writers heapwatch,v8,heapdump]
//
// See bench/README.md ("Snapshot write") for what is measured and how to read it.

import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '..');
// Which heapwatch to measure: the repo by default, or another checkout or build.
let heapwatchRoot = path.resolve(process.env.HEAPWATCH_BENCH_MODULE || repoRoot);
const require = createRequire(import.meta.url);
const HEAPDUMP = 'heapdump@0.3.15';
// Peers are native addons: keep one install per Node ABI so that running the bench under
// another Node does not load a build made for this one.
const peersDir = path.join(benchDir, '.peers', `abi-${process.versions.modules}`);

// ---------------------------------------------------------------- writers
//
// A writer is { describe, load(), write(mod, file) }. load() runs in the child before the
// heap is built; write() returns once the file is complete (sync, callback or promise).

function callbackWriter(mod, file) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const ret = mod.writeSnapshot(file, (err, name) => {
      settled = true;
      if (err) reject(err);
      else resolve(name ?? file);
    });
    if (ret === false && !settled) reject(new Error('writeSnapshot returned false without calling back'));
  });
}

const WRITERS = {
  heapwatch: {
    get describe() {
      return `heapwatch writeSnapshot(file, cb) from ${heapwatchRoot}`;
    },
    available() {
      try {
        require.resolve(heapwatchRoot);
        return null;
      } catch (err) {
        return `cannot load heapwatch from ${heapwatchRoot} (${err.code || err.message}); build it first (npm run build)`;
      }
    },
    load: () => require(heapwatchRoot),
    write: callbackWriter,
  },
  v8: {
    describe: "Node's v8.writeHeapSnapshot(file)",
    available: () => null,
    load: () => require('node:v8'),
    write: (v8, file) => v8.writeHeapSnapshot(file),
  },
  heapdump: {
    describe: `${HEAPDUMP} writeSnapshot(file, cb), installed in ${path.relative(repoRoot, peersDir)}`,
    available: () => installHeapdump(),
    load: () => require(path.join(peersDir, 'node_modules', 'heapdump')),
    write: callbackWriter,
  },
};

function installHeapdump() {
  const dir = path.join(peersDir, 'node_modules', 'heapdump');
  const built = () => existsSync(path.join(dir, 'build', 'Release', 'addon.node'));
  if (built()) return null;
  console.error(`bench: installing ${HEAPDUMP} into ${peersDir} (compiles from source)`);
  // Build for the Node running this bench: its bin first on PATH, its headers when it ships them.
  const env = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
  };
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) env.npm_config_nodedir = prefix;
  const r = spawnSync(
    'npm',
    ['install', '--prefix', peersDir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', HEAPDUMP],
    { env, stdio: ['ignore', 2, 2], timeout: 600_000 }, // stdout is for the table only
  );
  if (r.status !== 0 || !built())
    return `npm install ${HEAPDUMP} failed (exit ${r.status ?? r.error?.message})`;
  return null;
}

// ---------------------------------------------------------------- the heap

// Small deterministic PRNG (mulberry32).
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Address {
  constructor(street, city, zip) {
    this.street = street;
    this.city = city;
    this.zip = zip;
  }
}

class Customer {
  constructor(id, name, address) {
    this.id = id;
    this.name = name;
    this.address = address;
    this.tags = [];
    this.orders = [];
    this.format = null;
  }
}

class Order {
  constructor(id, customer, createdAt) {
    this.id = id;
    this.customer = customer;
    this.createdAt = createdAt;
    this.items = [];
    this.total = 0;
  }
}

function makeFormatter(customer, prefix) {
  let calls = 0;
  return () => {
    calls++;
    return `${prefix}${customer.name} (${customer.orders.length} orders, ${calls} calls)`;
  };
}

const WORDS =
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa'.split(
    ' ',
  );
const CITIES = ['Lisbon', 'Oslo', 'Quito', 'Hanoi', 'Dakar', 'Perth', 'Lima', 'Riga'];
// One unit (a customer with its orders, items, tags, map entries, closure, numbers and
// some text) is about this many bytes of V8 heap on Node 20 x64; sizes are in MB of heap.
const BYTES_PER_UNIT = 2440;

function buildHeap(mb) {
  const rand = prng(0x5eed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const units = Math.round((mb * 1024 * 1024) / BYTES_PER_UNIT);
  const customers = [];
  const byCity = new Map(CITIES.map((c) => [c, []]));
  const indexes = [];
  const texts = [];
  const samples = [];
  let index = new Map();
  for (let i = 0; i < units; i++) {
    const city = pick(CITIES);
    const address = new Address(
      `${Math.floor(rand() * 999)} ${pick(WORDS)} street`,
      city,
      10000 + (i % 89999),
    );
    const customer = new Customer(i, `${pick(WORDS)}-${pick(WORDS)}-${i}`, address);
    customer.tags.push(pick(WORDS), `t${i % 97}`, `${pick(WORDS)}:${i}`);
    customer.format = makeFormatter(customer, i % 2 ? 'Customer ' : 'Client ');
    const orders = 1 + (i % 3);
    for (let k = 0; k < orders; k++) {
      const order = new Order(i * 4 + k, customer, 1.7e12 + i * 1000 + k);
      const items = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < items; j++) {
        const item = {
          sku: `SKU-${(i * 7 + j) % 5003}`,
          qty: 1 + (j % 5),
          price: Math.round(rand() * 10000) / 100,
        };
        order.items.push(item);
        order.total += item.qty * item.price;
      }
      customer.orders.push(order);
      index.set(order.id, order);
    }
    // Cross references to earlier customers, so the graph is not a forest.
    if (i > 0) customer.referrer = customers[Math.floor(rand() * i)];
    byCity.get(city).push(customer);
    customers.push(customer);
    if (i % 8 === 0) samples.push(Array.from({ length: 16 }, () => rand() * 1000));
    if (i % 16 === 0) {
      const n = 20 + Math.floor(rand() * 200);
      let s = '';
      for (let w = 0; w < n; w++) s += `${pick(WORDS)} `;
      texts.push(`${s}#${i}`);
    }
    if (index.size >= 4096) {
      indexes.push(index);
      index = new Map();
    }
  }
  indexes.push(index);
  return { customers, byCity, indexes, texts, samples };
}

// ---------------------------------------------------------------- child: one measurement

function procStatusKb(field) {
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so that the peak after the write is the
// peak of the write, not of building the heap. Returns whether it worked.
function resetPeakRss() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function child({ writer: name, mb, dir }) {
  const writer = WRITERS[name];
  const mod = writer.load();
  globalThis.__benchHeap = buildHeap(mb);
  for (let i = 0; i < 3; i++) globalThis.gc();
  const heapUsed = process.memoryUsage().heapUsed;
  const rssBefore = procStatusKb('VmRSS');
  const hwmBeforeReset = procStatusKb('VmHWM');
  const peakReset = resetPeakRss();
  const file = path.join(dir, `${name}-${process.pid}.heapsnapshot`);
  const t0 = process.hrtime.bigint();
  const written = await writer.write(mod, file);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const peak = procStatusKb('VmHWM');
  const out = path.resolve(dir, written ?? file);
  const size = statSync(out).size;
  const head = Buffer.alloc(12);
  const fd = openSync(out, 'r');
  readSync(fd, head, 0, 12, 0);
  closeSync(fd);
  if (!head.toString('latin1').startsWith('{"snapshot"'))
    throw new Error(`${out} does not look like a heap snapshot`);
  rmSync(out, { force: true });
  const result = {
    writer: name,
    mb,
    heapUsed,
    ms,
    rssBeforeKb: rssBefore,
    peakKb: peak,
    peakReset,
    hwmBeforeResetKb: hwmBeforeReset,
    fileBytes: size,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------- parent

function parseList(s, name, f = Number) {
  const list = s
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(f);
  if (list.some((x) => x === undefined || Number.isNaN(x))) fail(`bad ${name}: "${s}"`);
  return list;
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

const USAGE = `usage: node bench/snapshot.mjs [options]
  --sizes LIST     heap sizes in MB (default 50,300)
  --runs LIST      runs per size, one number or one per size (default 5,3)
  --writers LIST   from ${Object.keys(WRITERS).join(',')} (default: all available)
  --timeout S      seconds for one child (default 900)
  --json FILE      also write all raw results as JSON
  --heapwatch DIR  measure the heapwatch package in DIR instead of this repo
                   (same as HEAPWATCH_BENCH_MODULE=DIR)`;

function parseArgs(argv) {
  const o = { sizes: [50, 300], runs: null, writers: null, timeout: 900, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--sizes') o.sizes = parseList(v(), 'sizes');
    else if (a === '--runs') o.runs = parseList(v(), 'runs');
    else if (a === '--writers') o.writers = parseList(v(), 'writers', String);
    else if (a === '--timeout') o.timeout = Number(v());
    else if (a === '--json') o.json = path.resolve(v());
    else if (a === '--heapwatch') {
      heapwatchRoot = path.resolve(v());
      process.env.HEAPWATCH_BENCH_MODULE = heapwatchRoot; // for the children
    } else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument "${a}"\n${USAGE}`);
  }
  if (o.sizes.some((s) => !(s > 0))) fail('sizes must be positive');
  const defaultRuns = (mb) => (mb >= 200 ? 3 : 5);
  o.runsFor = (mb, idx) => (o.runs ? (o.runs[idx] ?? o.runs.at(-1)) : defaultRuns(mb));
  for (const w of o.writers ?? []) if (!WRITERS[w]) fail(`unknown writer "${w}"`);
  return o;
}

function runChild(name, mb, timeoutSec) {
  return new Promise((resolve) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'heapwatch-bench-'));
    const heapLimit = Math.max(2048, mb * 8);
    const args = [
      '--expose-gc',
      `--max-old-space-size=${heapLimit}`,
      fileURLToPath(import.meta.url),
      '--child',
      JSON.stringify({ writer: name, mb, dir }),
    ];
    // NODE_HEAPDUMP_OPTIONS=nosignal: neither module installs its SIGUSR2 watcher.
    const env = { ...process.env, NODE_HEAPDUMP_OPTIONS: 'nosignal' };
    const proc = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    proc.stdout.on('data', (d) => {
      stdout += d;
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutSec * 1000);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)));
      else resolve({ writer: name, mb, error: signal ? `killed (${signal})` : `exit ${code}` });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mib = (kb) => (kb / 1024).toFixed(0);

function report(results, writers, sizes) {
  const lines = [];
  lines.push(
    `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? 'cpu'}, ${os.platform()} ${os.release()}`,
  );
  lines.push('');
  lines.push(
    '| heap | writer | runs | write time, median (min–max) | RSS before | peak RSS during write | snapshot file |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const mb of sizes) {
    for (const w of writers) {
      const all = results.filter((r) => r.mb === mb && r.writer === w);
      const ok = all.filter((r) => !r.error);
      const failed = all.length - ok.length;
      if (!ok.length) {
        lines.push(
          `| ${mb} MB | ${w} | 0/${all.length} | failed: ${all.map((r) => r.error).join(', ')} | | | |`,
        );
        continue;
      }
      const heap = median(ok.map((r) => r.heapUsed)) / 1048576;
      const ms = ok.map((r) => r.ms);
      const t = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
      lines.push(
        `| ${mb} MB (${heap.toFixed(0)} MiB used) | ${w} | ${ok.length}${failed ? ` (+${failed} failed)` : ''} | ` +
          `${t(median(ms))} (${t(Math.min(...ms))}–${t(Math.max(...ms))}) | ` +
          `${mib(median(ok.map((r) => r.rssBeforeKb)))} MiB | ${mib(median(ok.map((r) => r.peakKb)))} MiB | ` +
          `${(median(ok.map((r) => r.fileBytes)) / 1048576).toFixed(0)} MiB |`,
      );
    }
  }
  if (results.some((r) => !r.error && !r.peakReset)) {
    lines.push('');
    lines.push('Note: /proc/self/clear_refs was not writable: peak RSS includes building the heap.');
  }
  return lines.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const requested = o.writers ?? Object.keys(WRITERS);
  const writers = [];
  for (const w of requested) {
    const why = WRITERS[w].available();
    if (why) console.error(`bench: skipping ${w}: ${why}`);
    else writers.push(w);
  }
  if (!writers.length) fail('no writer available');
  for (const w of writers) console.error(`bench: ${w} = ${WRITERS[w].describe}`);

  const results = [];
  for (const [idx, mb] of o.sizes.entries()) {
    const runs = o.runsFor(mb, idx);
    for (let run = 0; run < runs; run++) {
      // Interleave, rotating the order, so that drift (thermal, page cache) spreads evenly.
      const order = writers.map((_, i) => writers[(i + run) % writers.length]);
      for (const w of order) {
        const r = await runChild(w, mb, o.timeout);
        results.push(r);
        console.error(
          r.error
            ? `bench: ${mb} MB run ${run + 1}/${runs} ${w}: FAILED ${r.error}`
            : `bench: ${mb} MB run ${run + 1}/${runs} ${w}: ${r.ms.toFixed(0)} ms, ` +
                `rss ${mib(r.rssBeforeKb)} -> peak ${mib(r.peakKb)} MiB, file ${(r.fileBytes / 1048576).toFixed(0)} MiB`,
        );
      }
    }
  }
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ node: process.version, results }, null, 1)}\n`);
  console.log(report(results, writers, o.sizes));
  if (results.some((r) => r.error)) process.exitCode = 1;
}

if (process.argv[2] === '--child') {
  child(JSON.parse(process.argv[3])).catch((err) => {
    console.error(err?.stack ?? err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err?.stack ?? err);
    process.exit(1);
  });
}
