#!/usr/bin/env node
// Build the prebuilt binaries that the npm tarball carries: one per supported Node major
// (the addon uses V8's C++ API, so a binary is tied to one NODE_MODULE_VERSION), for this
// platform, with prebuildify, into prebuilds/<platform>-<arch>/heapwatch.abi<N>.glibc.node.
// node-gyp-build (the loader and the install script) picks the one for the running Node.
//
//   node scripts/prebuild.mjs [majors...] [--force] [--no-verify] [--jobs N]
//
// Headers and binaries come from node-<platform>-<arch>@<major> (scripts/lib/node-dist.mjs).
// The build runs in a copy of the native sources under .tmp/, so build/ (the addon for the
// system node, used by the tests) is left alone. A binary newer than every native source is
// kept unless --force. Each binary is then loaded by its own Node, through dist/ with
// PREBUILDS_ONLY=1, and must write a heap snapshot and report a full GC.

import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  banner,
  capture,
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
} from './lib/node-dist.mjs';

setTag('prebuild');

const NATIVE_INPUTS = ['binding.gyp', 'native'];
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const libc = existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
const prebuildDir = path.join(repoRoot, 'prebuilds', `${process.platform}-${process.arch}`);

function parseArgs(argv) {
  const opts = {
    majors: [],
    force: false,
    verify: true,
    jobs: os.availableParallelism?.() ?? os.cpus().length,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--no-verify') opts.verify = false;
    else if (a === '--jobs') opts.jobs = Math.max(1, Number.parseInt(argv[++i], 10) || 1);
    else if (/^\d+$/.test(a)) opts.majors.push(Number(a));
    else if (a === '-h' || a === '--help') {
      console.log('usage: node scripts/prebuild.mjs [majors...] [--force] [--no-verify] [--jobs N]');
      process.exit(0);
    } else {
      console.error(`prebuild: unknown argument "${a}"`);
      process.exit(2);
    }
  }
  if (opts.majors.length === 0) opts.majors = SUPPORTED_MAJORS;
  return opts;
}

/** Newest modification time among the files that make the addon. */
function newestInput() {
  let newest = 0;
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const f of readdirSync(p)) visit(path.join(p, f));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of NATIVE_INPUTS) visit(path.join(repoRoot, p));
  return newest;
}

function resolveBin(name, rel) {
  const file = path.join(repoRoot, 'node_modules', name, rel);
  if (!existsSync(file)) {
    console.error(red(`prebuild: ${name} is not installed; run npm ci first`));
    process.exit(2);
  }
  return file;
}

// The check each binary must pass under its own Node: load heapwatch from dist/ with only
// prebuilds allowed, make sure node-gyp-build chose this binary, write and parse a snapshot,
// and receive a 'stats' event after gc().
const VERIFY = `
const fs = require('node:fs');
const path = require('node:path');
const [root, expected, out] = process.argv.slice(1);
const chosen = require(path.join(root, 'node_modules/node-gyp-build')).path(root);
if (path.basename(chosen) !== expected) throw new Error('node-gyp-build chose ' + chosen);
const hw = require(path.join(root, 'dist/index.cjs'));
if (!hw.writeSnapshot(out)) throw new Error('writeSnapshot returned false');
const snap = JSON.parse(fs.readFileSync(out, 'utf8'));
if (!snap.snapshot || !(snap.snapshot.node_count > 1000)) throw new Error('not a heap snapshot');
fs.rmSync(out);
const timer = setTimeout(() => { console.error('no stats event within 10 s'); process.exit(1); }, 10000);
hw.once('stats', (s) => {
  clearTimeout(timer);
  console.log('ok node ' + process.version + ' abi ' + process.versions.modules + ': snapshot of ' +
    snap.snapshot.node_count + ' nodes, stats num_full_gc=' + s.num_full_gc);
});
hw.gc();
`;

function verify(node, file) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heapwatch-prebuild-'));
  try {
    const env = envFor(node);
    env.PREBUILDS_ONLY = '1';
    const r = spawnSync(
      node.bin,
      ['-e', VERIFY, repoRoot, path.basename(file), path.join(dir, 'v.heapsnapshot')],
      { cwd: dir, env, encoding: 'utf8', timeout: 60_000 },
    );
    const out = `${r.stdout}${r.stderr}`.trim();
    return { ok: r.status === 0, out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GLIBC_/GLIBCXX_ symbol versions a binary needs (the oldest system it loads on). */
function needs(file) {
  try {
    const out = capture('objdump', ['-T', file], { timeoutSec: 30 });
    const max = (prefix) =>
      [...out.matchAll(new RegExp(`\\b${prefix}_([0-9.]+)\\b`, 'g'))]
        .map((m) => m[1])
        .sort((a, b) => {
          const pa = a.split('.').map(Number);
          const pb = b.split('.').map(Number);
          for (let i = 0; i < Math.max(pa.length, pb.length); i++)
            if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
          return 0;
        })
        .at(-1) ?? '-';
    return `GLIBC ${max('GLIBC')}, GLIBCXX ${max('GLIBCXX')}`;
  } catch {
    return 'objdump unavailable';
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const prebuildify = resolveBin('prebuildify', 'bin.js');
  const nodeGyp = resolveBin('node-gyp', 'bin/node-gyp.js');
  if (opts.verify && !existsSync(path.join(repoRoot, 'dist', 'index.cjs'))) {
    console.error(red('prebuild: dist/ is missing; run npm run build:ts first (or pass --no-verify)'));
    process.exit(2);
  }
  const inputsAt = newestInput();
  const stage = path.join(repoRoot, '.tmp', 'prebuild-src');
  const rows = [];
  for (const major of opts.majors) {
    const row = { major, version: '-', file: '-', build: '-', verify: '-', size: '-', needs: '-' };
    rows.push(row);
    let node;
    try {
      node = await provideNode(major);
    } catch (err) {
      console.error(red(`prebuild: node ${major}: ${err.message}`));
      row.build = 'FETCH ERROR';
      continue;
    }
    row.version = node.version;
    const abi = capture(node.bin, ['-p', 'process.versions.modules'], { timeoutSec: 30 }).trim();
    const name = `${pkg.name}.abi${abi}.${libc}.node`;
    const file = path.join(prebuildDir, name);
    row.file = name;
    if (!opts.force && existsSync(file) && statSync(file).mtimeMs > inputsAt) {
      row.build = 'up to date';
    } else {
      banner(`node ${node.version} (abi ${abi}): prebuildify`);
      rmSync(stage, { recursive: true, force: true });
      mkdirSync(stage, { recursive: true });
      for (const p of [...NATIVE_INPUTS, 'package.json'])
        cpSync(path.join(repoRoot, p), path.join(stage, p), { recursive: true });
      const env = envFor(node);
      // node-gyp reads its options from npm_config_* too; this is how prebuildify's node-gyp
      // gets the headers of this Node instead of downloading them.
      env.npm_config_nodedir = node.nodedir;
      env.JOBS = String(opts.jobs);
      env.PREBUILD_NODE_GYP = nodeGyp;
      const r = await run(
        node.bin,
        [
          prebuildify,
          `--target=${node.version}`,
          '--no-napi',
          '--tag-libc',
          '--strip',
          `--out=${repoRoot}`,
          `--cwd=${stage}`,
        ],
        { cwd: stage, env, timeoutSec: 900, label: `prebuildify (node ${node.version})` },
      );
      row.build = r.ok && existsSync(file) ? `ok ${r.seconds.toFixed(0)}s` : 'FAIL';
      if (!r.ok || !existsSync(file)) continue;
    }
    row.size = `${(statSync(file).size / 1024).toFixed(0)} KiB`;
    row.needs = needs(file);
    if (opts.verify) {
      const v = verify(node, file);
      row.verify = v.ok ? 'ok' : 'FAIL';
      console.log(v.ok ? v.out : red(`prebuild: ${name} under node ${node.version}:\n${v.out}`));
    }
  }
  rmSync(stage, { recursive: true, force: true });

  banner('prebuilds');
  const head = ['node', 'file', 'build', 'verify', 'size', 'needs'];
  const body = rows.map((r) => [r.version, r.file, r.build, r.verify, r.size, r.needs]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
  const bad = rows.filter((r) => !/^(ok|up to date)/.test(r.build) || r.verify === 'FAIL');
  if (bad.length) {
    console.log(red(`\nprebuild: failed for node ${bad.map((r) => r.major).join(', ')}`));
    process.exit(1);
  }
  note(green(`${rows.length} prebuilds ready in ${path.relative(repoRoot, prebuildDir)}`));
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killCurrent('SIGTERM');
    process.exit(130);
  });
}

main().catch((err) => {
  console.error(red(`prebuild: ${err.stack || err}`));
  process.exit(1);
});
