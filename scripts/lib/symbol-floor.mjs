// What a built .node needs from the system it loads on, read from its ELF headers, and the check
// against the oldest system the prebuilt binaries promise to load on (RHEL 8). Used by
// scripts/prebuild.mjs (every binary it builds), scripts/test-package.mjs (every binary in the
// tarball), scripts/test-arm64.mjs and test/symbol-floor.test.ts.
//
// readelf (binutils) reads ELF files of any architecture, so the arm64 binaries are read on an
// x64 host as they are. Plain Node ESM without dependencies.

import { spawnSync } from 'node:child_process';

/**
 * RHEL 8, the oldest line still supported: glibc 2.28, and the libstdc++/libgcc_s of GCC 8
 * (libstdc++.so.6.0.25). A binary may need no symbol version newer than these.
 */
export const FLOOR = Object.freeze({
  GLIBC: '2.28',
  GLIBCXX: '3.4.25',
  CXXABI: '1.3.11',
  GCC: '7.0.0',
});

/** The shared libraries a binary may name (DT_NEEDED): glibc's own, the C++ runtime of GCC. */
export const ALLOWED_NEEDED = Object.freeze([
  'libc.so.6',
  'libm.so.6',
  'libpthread.so.0',
  'libdl.so.2',
  'librt.so.1',
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
  'libgcc_s.so.1',
  'libstdc++.so.6',
]);

/** What Node looks up in a Node-API module (scripts/lib/exports.map keeps just these). */
export const MODULE_EXPORTS = Object.freeze([
  'napi_register_module_v1',
  'node_api_module_get_api_version_v1',
]);

/** readelf's "Machine:" per process.arch. */
const MACHINE = { x64: 'Advanced Micro Devices X86-64', arm64: 'AArch64' };

export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Parses `readelf -W -h -d -V --dyn-syms` output: { machine, needed: [lib], versions:
 * [{ file, name }] (the version needs), exports: [name] (defined global or weak, default
 * visibility), imports: [name] (undefined) }.
 */
export function parseReadelf(text) {
  const machine = text.match(/^\s*Machine:\s*(.+?)\s*$/m)?.[1] ?? null;
  const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const versions = [];
  const needs = text.split(/^Version needs section/m)[1]?.split(/^\S/m)[0] ?? '';
  let file = null;
  for (const line of needs.split('\n')) {
    const f = line.match(/File:\s*(\S+)/);
    if (f) file = f[1];
    const n = line.match(/Name:\s*(\S+)/);
    if (n && file) versions.push({ file, name: n[1] });
  }
  const exports = [];
  const imports = [];
  const dynsym = text.split(/^Symbol table '\.dynsym'/m)[1]?.split(/^\S/m)[0] ?? '';
  for (const line of dynsym.split('\n')) {
    // Num: Value Size Type Bind Vis Ndx Name
    const c = line.trim().split(/\s+/);
    if (c.length < 8 || !/^\d+:$/.test(c[0])) continue;
    const [, , , type, bind, vis, ndx, name] = c;
    if (ndx === 'UND') {
      imports.push(name.replace(/@.*$/, ''));
      continue;
    }
    if ((bind !== 'GLOBAL' && bind !== 'WEAK') || vis !== 'DEFAULT') continue;
    if (type === 'SECTION' || type === 'FILE') continue;
    exports.push(name.replace(/@.*$/, ''));
  }
  return { machine, needed, versions, exports, imports };
}

/** Reads one ELF file with readelf; throws when readelf is missing or the file is no ELF. */
export function readRequirements(file) {
  const r = spawnSync('readelf', ['-W', '-h', '-d', '-V', '--dyn-syms', file], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 60_000,
  });
  if (r.error)
    throw new Error(`readelf ${file}: ${r.error.message} (binutils is needed to check the symbol floor)`);
  if (r.status !== 0) throw new Error(`readelf ${file}: exit ${r.status}: ${r.stderr.trim().split('\n')[0]}`);
  return parseReadelf(r.stdout);
}

/** The newest version per namespace (GLIBC, GLIBCXX, ...) among the version needs. */
export function newestVersions(req) {
  const newest = {};
  for (const { name } of req.versions) {
    const m = name.match(/^([A-Z]+)_(\d+(?:\.\d+)*)$/);
    if (!m) continue;
    if (!newest[m[1]] || compareVersions(m[2], newest[m[1]]) > 0) newest[m[1]] = m[2];
  }
  return newest;
}

/**
 * What breaks the floor, as sentences (none: the binary loads on every system at or above it).
 * opts: { arch } to check the machine too; { moduleExports: true } to require that nothing but
 * the module's entry points is exported (a statically linked C++ runtime stays hidden).
 */
export function floorProblems(req, { floor = FLOOR, arch, moduleExports = false } = {}) {
  const problems = [];
  if (arch && req.machine !== MACHINE[arch])
    problems.push(`machine is ${req.machine ?? 'unknown'}, expected ${MACHINE[arch] ?? arch}`);
  for (const lib of req.needed)
    if (!ALLOWED_NEEDED.includes(lib)) problems.push(`needs ${lib}, which is not on every target system`);
  for (const { file, name } of req.versions) {
    const m = name.match(/^([A-Z]+)_(\d+(?:\.\d+)*)$/);
    if (!m || !(m[1] in floor)) {
      problems.push(`needs ${name} from ${file}, a version outside the floor's namespaces`);
      continue;
    }
    if (compareVersions(m[2], floor[m[1]]) > 0)
      problems.push(`needs ${name} from ${file}, newer than ${m[1]}_${floor[m[1]]}`);
  }
  // libc++'s inline namespace in a symbol the binary takes from Node: an API with std:: types
  // in its signature, which Node (built with libstdc++) defines under other names, if at all.
  const libcxx = (req.imports ?? []).filter((s) => s.includes('NSt3__1'));
  if (libcxx.length)
    problems.push(`imports symbols with libc++ types from Node (${libcxx.slice(0, 3).join(', ')})`);
  if (moduleExports) {
    const extra = req.exports.filter((s) => !MODULE_EXPORTS.includes(s));
    if (extra.length)
      problems.push(
        `exports ${extra.length} symbols besides the module's entry points (${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''})`,
      );
    for (const s of MODULE_EXPORTS)
      if (s === MODULE_EXPORTS[0] && !req.exports.includes(s)) problems.push(`does not export ${s}`);
  }
  return problems;
}

/** One line for a table: "GLIBC 2.17; no GLIBCXX" and the like. */
export function describeNeeds(req) {
  const newest = newestVersions(req);
  const part = (ns) => (newest[ns] ? `${ns} ${newest[ns]}` : `no ${ns}`);
  return ['GLIBC', 'GLIBCXX', 'CXXABI'].map(part).join(', ');
}

/** readRequirements + floorProblems for a prebuilt binary: { req, problems, needs }. */
export function checkPrebuild(file, arch) {
  const req = readRequirements(file);
  return { req, problems: floorProblems(req, { arch, moduleExports: true }), needs: describeNeeds(req) };
}
