#!/usr/bin/env node
// Build the prebuilt binaries that the npm tarball carries: one per supported Node major (the
// addon uses V8's C++ API, so a binary is tied to one NODE_MODULE_VERSION) and per arch (x64,
// arm64), with prebuildify, into prebuilds/linux-<arch>/heapwatch.abi<N>.glibc.node.
// node-gyp-build (the install script) and src/binding.ts (the loader) pick the one for the
// running Node.
//
//   node scripts/prebuild.mjs [majors...] [--arch x64,arm64] [--force] [--no-verify] [--jobs N]
//
// Every binary is compiled and linked by Zig for glibc 2.28 with libc++ linked statically and
// hidden (scripts/lib/toolchain.mjs; docs/prebuilds.md says why), so it loads on RHEL 8 and
// later and needs no libstdc++ at all. Headers come from node-linux-<arch>@<major>
// (scripts/lib/node-dist.mjs), the toolchain from npm too, both cached in ~/.cache/heapwatch.
// The build runs in a copy of the native sources under .tmp/, so build/ (the addon for the
// system node, used by the tests) is left alone. A binary newer than every native source and
// than the build recipe (scripts/lib/toolchain.mjs, exports.map) that still meets the floor is
// kept unless --force.
//
// Each binary is then checked: its ELF headers against the symbol floor (scripts/lib/
// symbol-floor.mjs: no GLIBC_ above 2.28, no GLIBCXX/CXXABI above RHEL 8's, nothing exported but
// the module's entry points; a binary that fails is a failed build), and, for x64, run by its own
// Node from a package directory without build/: a snapshot written and parsed, a HeapDiff, a
// 'stats' event after gc(). The arm64 binaries run under qemu-user in `npm run test:arm64`.

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
import { exercise, stagePackage } from './lib/stage-package.mjs';
import { checkPrebuild } from './lib/symbol-floor.mjs';
import { PREBUILD_ARCHES, provideZig, toolchainEnv } from './lib/toolchain.mjs';

setTag('prebuild');

const NATIVE_INPUTS = ['binding.gyp', 'native'];
// How the binaries are compiled and linked: a change there makes every binary stale too.
const RECIPE = ['scripts/lib/toolchain.mjs', 'scripts/lib/exports.map'];
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

function parseArgs(argv) {
  const opts = {
    majors: [],
    arches: PREBUILD_ARCHES,
    force: false,
    verify: true,
    jobs: os.availableParallelism?.() ?? os.cpus().length,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--no-verify') opts.verify = false;
    else if (a === '--jobs') opts.jobs = Math.max(1, Number.parseInt(argv[++i], 10) || 1);
    else if (a === '--arch') opts.arches = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (/^\d+$/.test(a)) opts.majors.push(Number(a));
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node scripts/prebuild.mjs [majors...] [--arch x64,arm64] [--force] [--no-verify] [--jobs N]',
      );
      process.exit(0);
    } else {
      console.error(`prebuild: unknown argument "${a}"`);
      process.exit(2);
    }
  }
  if (opts.majors.length === 0) opts.majors = SUPPORTED_MAJORS;
  const bad = opts.arches.filter((a) => !PREBUILD_ARCHES.includes(a));
  if (bad.length || opts.arches.length === 0) {
    console.error(
      `prebuild: --arch takes ${PREBUILD_ARCHES.join(',')} (a comma-separated list), got "${bad.join(',')}"`,
    );
    process.exit(2);
  }
  return opts;
}

/** Newest modification time among the files that make the addon and the build recipe. */
function newestInput() {
  let newest = 0;
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const f of readdirSync(p)) visit(path.join(p, f));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of [...NATIVE_INPUTS, ...RECIPE]) visit(path.join(repoRoot, p));
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

/** Runs the x64 binary under its own Node from a package directory that has no build/. */
function verify(node, file) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'heapwatch-prebuild-'));
  try {
    const rel = path.relative(repoRoot, file);
    const root = stagePackage(path.join(dir, 'pkg'), [rel]);
    return exercise({ cmd: node.bin, args: [], env: envFor(node) }, root, rel, dir, 60);
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
  const toolchain = await provideZig();
  const inputsAt = newestInput();
  const stage = path.join(repoRoot, '.tmp', 'prebuild-src');
  const rows = [];
  for (const arch of opts.arches) {
    for (const major of opts.majors) {
      const row = {
        arch,
        major,
        version: '-',
        file: '-',
        build: '-',
        floor: '-',
        verify: '-',
        size: '-',
        needs: '-',
      };
      rows.push(row);
      let node;
      try {
        node = await provideNode(major, { arch });
      } catch (err) {
        console.error(red(`prebuild: node ${major} ${arch}: ${err.message}`));
        row.build = 'FETCH ERROR';
        continue;
      }
      row.version = node.version;
      // prebuildify's name for it, which node-gyp-build and prebuildFor() in src/binding.ts look for.
      const rel = path.join('prebuilds', `linux-${arch}`, `${pkg.name}.abi${node.abi}.glibc.node`);
      const file = path.join(repoRoot, rel);
      row.file = rel;
      const fresh =
        !opts.force &&
        existsSync(file) &&
        statSync(file).mtimeMs > inputsAt &&
        checkPrebuild(file, arch).problems.length === 0;
      if (fresh) {
        row.build = 'up to date';
      } else {
        banner(`node ${node.version} ${arch} (abi ${node.abi}): prebuildify`);
        rmSync(stage, { recursive: true, force: true });
        mkdirSync(stage, { recursive: true });
        for (const p of [...NATIVE_INPUTS, 'package.json'])
          cpSync(path.join(repoRoot, p), path.join(stage, p), { recursive: true });
        // The host's Node runs prebuildify and node-gyp; the headers are the target's.
        const host = arch === process.arch ? node : await provideNode(major);
        const env = { ...envFor(host), ...toolchainEnv(toolchain, arch) };
        // node-gyp reads its options from npm_config_* too; this is how prebuildify's node-gyp
        // gets the headers of this Node instead of downloading them.
        env.npm_config_nodedir = node.nodedir;
        env.JOBS = String(opts.jobs);
        env.PREBUILD_NODE_GYP = nodeGyp;
        // The libc the binary is for (zig targets glibc), whatever the build machine's is.
        env.PREBUILD_LIBC = 'glibc';
        rmSync(file, { force: true });
        const r = await run(
          host.bin,
          [
            prebuildify,
            `--target=${node.version}`,
            `--arch=${arch}`,
            '--no-napi',
            '--tag-libc',
            `--out=${repoRoot}`,
            `--cwd=${stage}`,
          ],
          { cwd: stage, env, timeoutSec: 900, label: `prebuildify (node ${node.version} ${arch})` },
        );
        row.build = r.ok && existsSync(file) ? `ok ${r.seconds.toFixed(0)}s` : 'FAIL';
        if (!r.ok || !existsSync(file)) continue;
      }
      row.size = `${(statSync(file).size / 1024).toFixed(0)} KiB`;
      const floor = checkPrebuild(file, arch);
      row.needs = floor.needs;
      row.floor = floor.problems.length ? 'FAIL' : 'ok';
      for (const p of floor.problems) console.log(red(`prebuild: ${rel}: ${p}`));
      if (!opts.verify) row.verify = 'not run (--no-verify)';
      else if (arch !== process.arch) row.verify = 'test:arm64 (qemu)';
      else {
        const v = verify(node, file);
        row.verify = v.ok ? 'ok' : 'FAIL';
        console.log(v.ok ? v.line : red(`prebuild: ${rel} under node ${node.version}:\n${v.out}`));
      }
    }
  }
  rmSync(stage, { recursive: true, force: true });

  banner('prebuilds');
  const head = ['node', 'file', 'build', 'floor', 'verify', 'size', 'needs'];
  const body = rows.map((r) => [r.version, r.file, r.build, r.floor, r.verify, r.size, r.needs]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
  const bad = rows.filter(
    (r) => !/^(ok|up to date)/.test(r.build) || r.floor === 'FAIL' || r.verify === 'FAIL',
  );
  if (bad.length) {
    console.log(red(`\nprebuild: failed for ${bad.map((r) => `node ${r.major} ${r.arch}`).join(', ')}`));
    process.exit(1);
  }
  note(
    green(
      `${rows.length} prebuilds ready in prebuilds/ (${opts.arches.map((a) => `linux-${a}`).join(', ')})`,
    ),
  );
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
