// The symbol-floor check (scripts/lib/symbol-floor.mjs) that every prebuilt binary must pass:
// scripts/prebuild.mjs fails a build that breaks it, scripts/test-package.mjs checks every binary
// in the packed tarball, scripts/test-arm64.mjs the arm64 ones again before running them. This
// tree has no prebuilds/ (they are built when packing), so here the check itself is tested: read
// against a second tool, and shown to catch a real binary that breaks the floor.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  compareVersions,
  FLOOR,
  floorProblems,
  MODULE_EXPORTS,
  newestVersions,
  type Requirements,
  readRequirements,
} from '../scripts/lib/symbol-floor.mjs';
import { GLIBC_FLOOR, PREBUILD_ARCHES, targetTriple } from '../scripts/lib/toolchain.mjs';
import { prebuildFor } from '../src/binding.js';

const ROOT = join(__dirname, '..');
// The addon as `npm ci` built it from source: g++ of this machine, libstdc++ linked dynamically.
const SOURCE_BUILD = join(ROOT, 'build', 'Release', 'heapwatch.node');

/** objdump's view of the same file: NEEDED libraries and version references. */
function objdump(file: string) {
  const r = spawnSync('objdump', ['-p', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const needed = [...r.stdout.matchAll(/^\s*NEEDED\s+(\S+)$/gm)].map((m) => m[1]);
  const refs = r.stdout.split('Version References:')[1] ?? '';
  const versions = [...refs.matchAll(/^\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\S+)$/gm)].map((m) => m[1]);
  return { needed, versions };
}

const ok: Requirements = {
  machine: 'Advanced Micro Devices X86-64',
  needed: ['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2'],
  versions: [
    { file: 'libc.so.6', name: 'GLIBC_2.2.5' },
    { file: 'libc.so.6', name: 'GLIBC_2.17' },
    { file: 'libc.so.6', name: 'GLIBC_2.28' },
  ],
  exports: [...MODULE_EXPORTS],
};
const withVersion = (file: string, name: string): Requirements => ({
  ...ok,
  versions: [...ok.versions, { file, name }],
});

describe('reading a binary', () => {
  test('readelf and objdump agree on what the source build needs', () => {
    const req = readRequirements(SOURCE_BUILD);
    const other = objdump(SOURCE_BUILD);
    expect(req.machine).toBe(process.arch === 'arm64' ? 'AArch64' : 'Advanced Micro Devices X86-64');
    expect([...req.needed].sort()).toEqual([...other.needed].sort());
    expect(req.versions.map((v) => v.name).sort()).toEqual([...other.versions].sort());
    expect(req.needed).toContain('libstdc++.so.6');
    // -fvisibility=hidden: the entry point is exported, the addon's own functions are not.
    expect(req.exports).toContain('napi_register_module_v1');
  });

  test('a binary that needs a newer libstdc++ than RHEL 8 has is caught', () => {
    // g++ 11 and later make every `new T[n]` need GLIBCXX_3.4.29 (__throw_bad_array_new_length);
    // the source build of this machine's g++ is the floor-breaking binary of the test.
    const req = readRequirements(SOURCE_BUILD);
    const newest = newestVersions(req).GLIBCXX ?? '0';
    expect(compareVersions(newest, FLOOR.GLIBCXX)).toBeGreaterThan(0);
    expect(floorProblems(req)).toContain(
      `needs GLIBCXX_${newest} from libstdc++.so.6, newer than GLIBCXX_${FLOOR.GLIBCXX}`,
    );
  });

  test('a file that is not ELF is an error, not a pass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapwatch-floor-'));
    const file = join(dir, 'heapwatch.abi115.glibc.node');
    writeFileSync(file, 'not a shared object');
    expect(() => readRequirements(file)).toThrow(/readelf .*heapwatch\.abi115\.glibc\.node: exit 1/);
  });
});

describe('the floor', () => {
  test('is RHEL 8: glibc 2.28, GCC 8 (libstdc++.so.6.0.25)', () => {
    expect(FLOOR).toEqual({ GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11', GCC: '7.0.0' });
    // The toolchain links against glibc stubs of the same version the check holds binaries to.
    expect(GLIBC_FLOOR).toBe(FLOOR.GLIBC);
    expect(PREBUILD_ARCHES.map(targetTriple)).toEqual(['x86_64-linux-gnu.2.28', 'aarch64-linux-gnu.2.28']);
  });

  test('versions compare by number, part by part', () => {
    expect(compareVersions('2.2.5', '2.28')).toBeLessThan(0);
    expect(compareVersions('2.28', '2.28')).toBe(0);
    expect(compareVersions('2.28', '2.28.0')).toBe(0);
    expect(compareVersions('3.4.30', '3.4.25')).toBeGreaterThan(0);
    expect(compareVersions('1.3.9', '1.3.11')).toBeLessThan(0);
  });

  test('a binary within it passes', () => {
    expect(floorProblems(ok, { arch: 'x64', moduleExports: true })).toEqual([]);
    expect(floorProblems(withVersion('libstdc++.so.6', 'GLIBCXX_3.4.25'))).toEqual([]);
    expect(floorProblems(withVersion('libstdc++.so.6', 'CXXABI_1.3.11'))).toEqual([]);
  });

  test('each version above it is named', () => {
    expect(floorProblems(withVersion('libc.so.6', 'GLIBC_2.29'))).toEqual([
      'needs GLIBC_2.29 from libc.so.6, newer than GLIBC_2.28',
    ]);
    expect(floorProblems(withVersion('libstdc++.so.6', 'GLIBCXX_3.4.26'))).toEqual([
      'needs GLIBCXX_3.4.26 from libstdc++.so.6, newer than GLIBCXX_3.4.25',
    ]);
    expect(floorProblems(withVersion('libstdc++.so.6', 'CXXABI_1.3.12'))).toEqual([
      'needs CXXABI_1.3.12 from libstdc++.so.6, newer than CXXABI_1.3.11',
    ]);
    expect(floorProblems(withVersion('libgcc_s.so.1', 'GCC_12.0.0'))).toEqual([
      'needs GCC_12.0.0 from libgcc_s.so.1, newer than GCC_7.0.0',
    ]);
  });

  test('a version it does not know, or a library not on every system, fails', () => {
    expect(floorProblems(withVersion('libc.so.6', 'GLIBC_PRIVATE'))).toEqual([
      "needs GLIBC_PRIVATE from libc.so.6, a version outside the floor's namespaces",
    ]);
    expect(floorProblems({ ...ok, needed: [...ok.needed, 'libc++.so.1'] })).toEqual([
      'needs libc++.so.1, which is not on every target system',
    ]);
  });

  test('a binary that takes an API with libc++ types from Node fails', () => {
    const imports = [
      'napi_create_object',
      '_ZN2v87Isolate10GetCurrentEv',
      '_ZN4node4BindENSt3__112basic_stringIcEE',
    ];
    expect(floorProblems({ ...ok, imports })).toEqual([
      'imports symbols with libc++ types from Node (_ZN4node4BindENSt3__112basic_stringIcEE)',
    ]);
    expect(floorProblems({ ...ok, imports: imports.slice(0, 2) })).toEqual([]);
  });

  test('a binary for another machine than its directory says fails', () => {
    expect(floorProblems(ok, { arch: 'arm64' })).toEqual([
      'machine is Advanced Micro Devices X86-64, expected AArch64',
    ]);
  });

  test('a prebuild exports nothing but the entry points (its static C++ runtime stays hidden)', () => {
    const leaky = { ...ok, exports: [...MODULE_EXPORTS, '_Znwm', '_Unwind_Resume'] };
    expect(floorProblems(leaky)).toEqual([]);
    expect(floorProblems(leaky, { moduleExports: true })).toEqual([
      "exports 2 symbols besides the module's entry points (_Znwm, _Unwind_Resume)",
    ]);
    expect(floorProblems({ ...ok, exports: [] }, { moduleExports: true })).toEqual([
      'does not export napi_register_module_v1',
    ]);
  });

  test("the link's version script keeps exactly the entry points global", () => {
    const map = readFileSync(join(ROOT, 'scripts', 'lib', 'exports.map'), 'utf8').replace(
      /\/\*[\s\S]*?\*\//g,
      '',
    );
    const global = map.match(/global:([\s\S]*?)local:/)?.[1] ?? '';
    expect(global.split(/[\s;]+/).filter(Boolean)).toEqual([...MODULE_EXPORTS]);
    expect(map).toMatch(/local:\s*\*;/);
  });
});

describe('where the loader looks is where prebuild.mjs writes', () => {
  const arch = process.arch;
  afterEach(() => {
    Object.defineProperty(process, 'arch', { value: arch });
  });

  test.each(PREBUILD_ARCHES)('linux-%s: prebuilds/linux-<arch>/heapwatch.abi<N>.glibc.node', (target) => {
    const root = mkdtempSync(join(tmpdir(), 'heapwatch-floor-'));
    for (const a of PREBUILD_ARCHES) {
      mkdirSync(join(root, 'prebuilds', `linux-${a}`), { recursive: true });
      for (const libc of ['glibc', 'musl'])
        writeFileSync(join(root, 'prebuilds', `linux-${a}`, `heapwatch.abi127.${libc}.node`), '');
    }
    Object.defineProperty(process, 'arch', { value: target });
    const libc = existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
    expect(prebuildFor(root, 127)).toBe(
      join(root, 'prebuilds', `linux-${target}`, `heapwatch.abi127.${libc}.node`),
    );
    expect(prebuildFor(root, 115)).toBeUndefined();
  });
});
