#!/usr/bin/env node
// Build the native addon and run the test suite under several Node.js majors.
//
//   node scripts/node-matrix.mjs [majors...] [options]
//   HEAPWATCH_MATRIX="22 24" node scripts/node-matrix.mjs
//
// Each Node comes from the npm package `node-<platform>-<arch>@<major>` (it carries
// bin/node and include/node with common.gypi), unpacked into a cache outside the repo:
// ${HEAPWATCH_NODE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/heapwatch}/node-<version>/package.
// The system node is used for its own major when its headers are installed.
// At the end the addon is rebuilt for the system node, so the tree stays usable.
//
// Plain Node ESM without dependencies besides the repo's own node-gyp and vitest.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  banner,
  defaultCache,
  envFor,
  green,
  killCurrent,
  note,
  provideNode,
  red,
  repoRoot,
  run,
  SUPPORTED_MAJORS,
  setTag,
  systemNodedir,
} from './lib/node-dist.mjs';

setTag('node-matrix');
const DEFAULT_MAJORS = SUPPORTED_MAJORS;

const USAGE = `usage: node scripts/node-matrix.mjs [majors...] [options]

  majors              Node.js majors to test (default: ${DEFAULT_MAJORS.join(' ')},
                      or the list in HEAPWATCH_MATRIX, e.g. HEAPWATCH_MATRIX="22 24")
  --cache DIR         where Node packages are unpacked
                      (default: $HEAPWATCH_NODE_CACHE or \${XDG_CACHE_HOME:-~/.cache}/heapwatch)
  --fetch-only        download and check the Node packages, build and test nothing
  --no-system         fetch a package even for the system node's own major
  --no-restore        leave build/ as built for the last version
  --jobs N            parallel compile jobs (default: number of CPUs)
  --fetch-timeout S   seconds for fetching one Node (default 600)
  --build-timeout S   seconds for one node-gyp rebuild (default 600)
  --test-timeout S    seconds for one test run (default 900)
  -h, --help          this text`;

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = {
    majors: [],
    cache: defaultCache(),
    fetchOnly: false,
    useSystem: true,
    restore: true,
    jobs: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    fetchTimeout: 600,
    buildTimeout: 600,
    testTimeout: 900,
  };
  const value = (i, name) => {
    if (i + 1 >= argv.length) fail(`${name} needs a value`);
    return argv[i + 1];
  };
  const seconds = (s, name) => {
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0) fail(`${name} expects a positive number of seconds, got "${s}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--cache') opts.cache = path.resolve(value(i++, a));
    else if (a === '--fetch-only') opts.fetchOnly = true;
    else if (a === '--no-system') opts.useSystem = false;
    else if (a === '--no-restore') opts.restore = false;
    else if (a === '--jobs') opts.jobs = Math.max(1, Number.parseInt(value(i++, a), 10) || 1);
    else if (a === '--fetch-timeout') opts.fetchTimeout = seconds(value(i++, a), a);
    else if (a === '--build-timeout') opts.buildTimeout = seconds(value(i++, a), a);
    else if (a === '--test-timeout') opts.testTimeout = seconds(value(i++, a), a);
    else if (/^\d+$/.test(a)) opts.majors.push(Number(a));
    else fail(`unknown argument "${a}"\n\n${USAGE}`);
  }
  if (opts.majors.length === 0 && process.env.HEAPWATCH_MATRIX) {
    for (const m of process.env.HEAPWATCH_MATRIX.split(/[\s,]+/).filter(Boolean)) {
      if (!/^\d+$/.test(m)) fail(`HEAPWATCH_MATRIX expects Node majors like "22 24", got "${m}"`);
      opts.majors.push(Number(m));
    }
  }
  if (opts.majors.length === 0) opts.majors = DEFAULT_MAJORS;
  opts.majors = [...new Set(opts.majors)];
  return opts;
}

function fail(message) {
  console.error(`node-matrix: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------- processes

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killCurrent('SIGTERM');
    console.error(
      `\nnode-matrix: interrupted. build/ may hold an addon for another Node; rebuild it with\n` +
        `  node node_modules/node-gyp/bin/node-gyp.js rebuild`,
    );
    process.exit(130);
  });
}

// ---------------------------------------------------------------- build and test

function resolveTool(name, binRel) {
  const req = createRequire(path.join(repoRoot, 'package.json'));
  try {
    const dir = path.dirname(req.resolve(`${name}/package.json`));
    const file = path.join(dir, binRel);
    if (existsSync(file)) return file;
  } catch {}
  fail(`${name} is not installed in ${repoRoot}/node_modules; run npm install (or npm ci) first`);
}

async function build(node, opts, nodeGyp) {
  return run(
    node.bin,
    // The tests load the test build too (its seams): -Dheapwatch_test=1 builds both.
    [
      nodeGyp,
      'rebuild',
      `--nodedir=${node.nodedir}`,
      `--jobs=${opts.jobs}`,
      '--loglevel=warn',
      '--',
      '-Dheapwatch_test=1',
    ],
    { env: envFor(node), timeoutSec: opts.buildTimeout, label: `node-gyp rebuild (node ${node.version})` },
  );
}

async function test(node, opts, vitest) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heapwatch-matrix-'));
  const report = path.join(dir, 'vitest.json');
  try {
    const r = await run(
      node.bin,
      [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
      { env: envFor(node), timeoutSec: opts.testTimeout, label: `vitest (node ${node.version})` },
    );
    let counts = null;
    try {
      const j = JSON.parse(readFileSync(report, 'utf8'));
      counts = {
        passed: j.numPassedTests,
        failed: j.numFailedTests,
        skipped: (j.numPendingTests || 0) + (j.numTodoTests || 0),
        // A file that fails to load has no failed test but fails the run.
        failedFiles: (j.testResults || []).filter((t) => t.status === 'failed').length,
        total: j.numTotalTests,
      };
    } catch {}
    return { ...r, counts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- summary

function table(rows) {
  const head = ['node', 'from', 'build', 'tests', 'passed', 'failed', 'skipped', 'time'];
  const body = rows.map((r) => [
    r.version,
    r.source,
    r.build,
    r.tests,
    String(r.passed ?? '-'),
    String(r.failed ?? '-'),
    String(r.skipped ?? '-'),
    r.seconds == null ? '-' : `${r.seconds.toFixed(0)}s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const paint = (s) => (/^(ok)$/.test(s.trim()) ? green(s) : /FAIL|TIMEOUT|ERROR/.test(s) ? red(s) : s);
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(`| ${b.map((c, i) => paint(c.padEnd(widths[i]))).join(' | ')} |`);
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const nodeGyp = opts.fetchOnly ? null : resolveTool('node-gyp', 'bin/node-gyp.js');
  const vitest = opts.fetchOnly ? null : resolveTool('vitest', 'vitest.mjs');
  note(`majors ${opts.majors.join(' ')}; cache ${opts.cache}; repo ${repoRoot}`);

  // TypeScript output does not depend on the Node version: build it once, if the repo has it.
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  if (!opts.fetchOnly && pkg.scripts?.['build:ts']) {
    banner('build:ts (once, with the system node)');
    const r = await run('npm', ['run', '--silent', 'build:ts'], {
      timeoutSec: opts.buildTimeout,
      label: 'build:ts',
    });
    if (!r.ok) {
      console.error(red('node-matrix: build:ts failed; the tests would run against stale or missing dist/'));
      process.exit(1);
    }
  }

  const rows = [];
  let lastBuiltSystem = false;
  for (const major of opts.majors) {
    const row = { version: `${major}.x`, source: '-', build: '-', tests: '-', seconds: null };
    rows.push(row);
    const started = Date.now();
    let node;
    try {
      node = await provideNode(major, opts);
    } catch (err) {
      console.error(red(`node-matrix: node ${major}: ${err.message}`));
      row.build = 'FETCH ERROR';
      continue;
    }
    Object.assign(row, { version: node.version, source: node.source });
    if (opts.fetchOnly) {
      row.build = 'skipped';
      note(`node ${node.version}: ${node.bin} (headers ${node.nodedir}/include/node)`);
      continue;
    }

    banner(`node ${node.version} (${node.source}): build`);
    const b = await build(node, opts, nodeGyp);
    lastBuiltSystem = node.bin === process.execPath && b.ok;
    row.build = b.ok ? 'ok' : b.timedOut ? 'TIMEOUT' : 'FAIL';
    if (b.ok) {
      banner(`node ${node.version} (${node.source}): test`);
      const t = await test(node, opts, vitest);
      row.tests = t.ok ? 'ok' : t.timedOut ? 'TIMEOUT' : 'FAIL';
      if (t.counts)
        Object.assign(row, { passed: t.counts.passed, failed: t.counts.failed, skipped: t.counts.skipped });
      if (t.ok && t.counts?.failedFiles) row.tests = 'FAIL';
      if (t.counts && t.counts.total === 0) row.tests = 'FAIL: no tests';
    }
    row.seconds = (Date.now() - started) / 1000;
  }

  let restored = 'not needed';
  if (!opts.fetchOnly && opts.restore && !lastBuiltSystem) {
    banner(`restore: rebuild for the system node ${process.versions.node}`);
    const nodedir = systemNodedir();
    const system = { version: process.versions.node, bin: process.execPath, nodedir };
    const r = nodedir
      ? await build(system, opts, nodeGyp)
      : await run(
          process.execPath,
          [nodeGyp, 'rebuild', `--jobs=${opts.jobs}`, '--loglevel=warn', '--', '-Dheapwatch_test=1'],
          {
            timeoutSec: opts.buildTimeout,
            label: 'node-gyp rebuild (system node)',
          },
        );
    restored = r.ok ? 'ok' : 'FAILED';
  } else if (!opts.restore) restored = 'skipped (--no-restore)';

  banner('summary');
  table(rows);
  if (!opts.fetchOnly)
    console.log(`\nbuild/ restored for the system node ${process.versions.node}: ${restored}`);
  const bad = rows.filter((r) =>
    opts.fetchOnly ? r.build !== 'skipped' : r.build !== 'ok' || r.tests !== 'ok',
  );
  if (bad.length || restored === 'FAILED') {
    console.log(red(`\nnode-matrix: failed on ${bad.map((r) => r.version).join(', ') || 'restore'}`));
    process.exit(1);
  }
  console.log(green(`\nnode-matrix: all ${rows.length} versions ok`));
}

main().catch((err) => {
  console.error(red(`node-matrix: ${err.stack || err}`));
  process.exit(1);
});
