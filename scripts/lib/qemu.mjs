// Running an arm64 Node on an x64 machine: qemu-user (Debian's qemu-user-static) and the arm64
// shared libraries that Node's binary needs (Debian's cross packages put glibc, libstdc++,
// libgcc_s and libatomic under /usr/aarch64-linux-gnu). Installed with apt-get when missing, as
// CI (root, Debian) can; elsewhere the error says what to install. The arm64 Node is run as
// `qemu-aarch64-static -L /usr/aarch64-linux-gnu node ...`, so no binfmt registration is needed.

import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { banner, note } from './node-dist.mjs';

const SYSROOT = '/usr/aarch64-linux-gnu';
// libatomic.so.1: Node 26's binary needs it (20-24 do not).
const LIBS = [
  'ld-linux-aarch64.so.1',
  'libc.so.6',
  'libm.so.6',
  'libstdc++.so.6',
  'libgcc_s.so.1',
  'libatomic.so.1',
];
const PACKAGES = [
  'qemu-user-static',
  'libc6-arm64-cross',
  'libstdc++6-arm64-cross',
  'libgcc-s1-arm64-cross',
  'libatomic1-arm64-cross',
];

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    try {
      if (statSync(file).isFile()) return file;
    } catch {}
  }
  return null;
}

function find() {
  const qemu = which('qemu-aarch64-static') ?? which('qemu-aarch64');
  const missing = LIBS.filter((l) => !existsSync(path.join(SYSROOT, 'lib', l)));
  return { qemu, missing };
}

function apt(args) {
  const r = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 900_000,
  });
  return r.status === 0;
}

/**
 * { qemu, sysroot, runner(nodeBin) } where runner gives { cmd, args } that run an arm64 Node
 * binary. Throws, saying what to install, when that cannot be had.
 */
export function provideQemu() {
  let found = find();
  if (!found.qemu || found.missing.length) {
    const canApt = process.getuid?.() === 0 && which('apt-get');
    if (!canApt)
      throw new Error(
        `qemu-user and the arm64 runtime libraries are needed (missing: ${[
          found.qemu ? null : 'qemu-aarch64',
          ...found.missing.map((l) => `${SYSROOT}/lib/${l}`),
        ]
          .filter(Boolean)
          .join(', ')}); on Debian/Ubuntu: apt-get install ${PACKAGES.join(' ')}`,
      );
    banner(`apt-get install ${PACKAGES.join(' ')}`);
    if (!apt(['install', '-y', '-q', '--no-install-recommends', ...PACKAGES])) {
      // A fresh machine has no package lists yet.
      note('apt-get install failed; apt-get update, then once more');
      apt(['update', '-q']);
      if (!apt(['install', '-y', '-q', '--no-install-recommends', ...PACKAGES]))
        throw new Error(`apt-get install ${PACKAGES.join(' ')} failed`);
    }
    found = find();
    if (!found.qemu || found.missing.length)
      throw new Error(
        `after apt-get install, still missing: ${found.qemu ? '' : 'qemu-aarch64 '}${found.missing.join(' ')}`,
      );
  }
  const version = spawnSync(found.qemu, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '?';
  return {
    qemu: found.qemu,
    version,
    sysroot: SYSROOT,
    // -L: where the arm64 dynamic loader and libraries are looked up.
    runner: (nodeBin) => ({ cmd: found.qemu, args: ['-L', SYSROOT, nodeBin] }),
  };
}
