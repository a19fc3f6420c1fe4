// Node.js binaries and headers for other majors, shared by scripts/node-matrix.mjs,
// scripts/prebuild.mjs and scripts/test-package.mjs.
//
// Each Node comes from the npm package `node-<platform>-<arch>@<version>` (bin/node, and
// include/node with common.gypi), unpacked into a cache outside the repo:
// ${HEAPWATCH_NODE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/heapwatch}/node-<version>/package for this
// machine's arch, node-<version>-<arch>/package for another one (linux-arm64 on an x64 host: its
// headers build the arm64 prebuilds, its binary runs under qemu-user in scripts/test-arm64.mjs).
// The system node is used for its own major when its headers are installed.
//
// Plain Node ESM without dependencies.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SUPPORTED_MAJORS = [20, 22, 24, 26];
/** The npm package that carries Node for `arch` (process.arch names: x64, arm64). */
export const pkgNameFor = (arch = process.arch) => `node-${process.platform}-${arch}`;
export const pkgName = pkgNameFor();

export function defaultCache() {
  return (
    process.env.HEAPWATCH_NODE_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'heapwatch')
  );
}

// ---------------------------------------------------------------- output

let tag = 'heapwatch';
/** The prefix of this module's messages (the calling script's name). */
export function setTag(name) {
  tag = name;
}

const color = process.stdout.isTTY && !process.env.NO_COLOR;
export const bold = (s) => (color ? `\x1b[1m${s}\x1b[22m` : s);
export const red = (s) => (color ? `\x1b[31m${s}\x1b[39m` : s);
export const green = (s) => (color ? `\x1b[32m${s}\x1b[39m` : s);

export function banner(text) {
  const line = '='.repeat(Math.max(8, 72 - text.length - 4));
  console.log(`\n${bold(`== ${text} ${line}`)}`);
}

export function note(text) {
  console.log(`${tag}: ${text}`);
}

// ---------------------------------------------------------------- processes

let currentChild = null;

/** The child that `run` is waiting for, if any (to end it on Ctrl-C). */
export function killCurrent(signal = 'SIGTERM') {
  if (currentChild) killTree(currentChild, signal);
}

// Runs a command with inherited stdio (output is streamed as it comes), in its own
// process group so that a timeout or Ctrl-C ends the whole tree.
export function run(cmd, args, { cwd = repoRoot, env = process.env, timeoutSec, label, quiet = false }) {
  return new Promise((resolve) => {
    const started = Date.now();
    if (!quiet) console.log(`$ ${[cmd, ...args].join(' ')}`);
    const child = spawn(cmd, args, { cwd, env, stdio: 'inherit', detached: true });
    currentChild = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(red(`${tag}: ${label} timed out after ${timeoutSec}s, killing it`));
      killTree(child, 'SIGTERM');
      setTimeout(() => killTree(child, 'SIGKILL'), 5000).unref();
    }, timeoutSec * 1000);
    const finish = (code, signal, error) => {
      clearTimeout(timer);
      currentChild = null;
      const seconds = (Date.now() - started) / 1000;
      if (error) console.error(red(`${tag}: ${label}: ${error.message}`));
      resolve({ ok: !error && !timedOut && code === 0, code, signal, timedOut, seconds });
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('exit', (code, signal) => finish(code, signal, null));
  });
}

export function killTree(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
}

// Runs a command quietly and returns its stdout (for npm view and the like).
export function capture(cmd, args, { timeoutSec = 120, cwd = repoRoot, env = process.env } = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    env,
    encoding: 'utf8',
    timeout: timeoutSec * 1000,
    maxBuffer: 16 << 20,
  });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr || '').trim().split('\n').pop()}`;
    throw new Error(`${cmd} ${args.join(' ')} failed (${why})`);
  }
  return r.stdout;
}

// ---------------------------------------------------------------- versions

export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

function headerVersion(includeNodeDir) {
  try {
    const h = readFileSync(path.join(includeNodeDir, 'node_version.h'), 'utf8');
    const get = (name) => h.match(new RegExp(`#define\\s+${name}\\s+(\\d+)`))[1];
    return `${get('NODE_MAJOR_VERSION')}.${get('NODE_MINOR_VERSION')}.${get('NODE_PATCH_VERSION')}`;
  } catch {
    return null;
  }
}

/** NODE_MODULE_VERSION from a Node's headers: the ABI a binary built against them is for. */
export function headerAbi(includeNodeDir) {
  const h = readFileSync(path.join(includeNodeDir, 'node_version.h'), 'utf8');
  const m = h.match(/#define\s+NODE_MODULE_VERSION\s+(\d+)/);
  if (!m) throw new Error(`${includeNodeDir}/node_version.h defines no NODE_MODULE_VERSION`);
  return Number(m[1]);
}

// What node-gyp's --nodedir must hold: include/node/{node.h,common.gypi}.
export function checkNodedir(nodedir, version) {
  const inc = path.join(nodedir, 'include', 'node');
  const missing = ['node.h', 'common.gypi', 'node_version.h', 'v8.h'].filter(
    (f) => !existsSync(path.join(inc, f)),
  );
  if (missing.length) return `${inc} lacks ${missing.join(', ')}`;
  const hv = headerVersion(inc);
  if (hv !== version) return `headers in ${inc} are for ${hv}, not ${version}`;
  return null;
}

function nodeVersionOf(bin) {
  return capture(bin, ['-p', 'process.versions.node'], { timeoutSec: 30 }).trim();
}

// The system node's own headers: npm's nodedir setting, else <prefix>/include/node.
export function systemNodedir() {
  const version = process.versions.node;
  const candidates = [];
  for (const key of Object.keys(process.env)) {
    if (/^npm_config_nodedir$/i.test(key) && process.env[key]) candidates.push(process.env[key]);
  }
  try {
    const fromNpm = capture('npm', ['config', 'get', 'nodedir'], { timeoutSec: 30 }).trim();
    if (fromNpm && fromNpm !== 'undefined' && fromNpm !== 'null') candidates.push(fromNpm);
  } catch {}
  candidates.push(path.resolve(path.dirname(process.execPath), '..'));
  for (const dir of candidates) if (!checkNodedir(dir, version)) return dir;
  return null;
}

// The cache directory of one release: node-<version> for this machine's arch (the layout the
// cache had before other arches), node-<version>-<arch> for another.
const cacheName = (version, arch) => (arch === process.arch ? `node-${version}` : `node-${version}-${arch}`);

function latestForMajor(major, cacheDir, arch) {
  const pkgName = pkgNameFor(arch);
  try {
    const out = capture('npm', ['view', `${pkgName}@${major}`, 'version', '--json']);
    const versions = [].concat(JSON.parse(out)).filter((v) => v.startsWith(`${major}.`));
    if (versions.length) return versions.sort(compareVersions).at(-1);
    throw new Error(`no ${pkgName} release for major ${major}`);
  } catch (err) {
    // Offline: fall back to the newest cached release of that major.
    const cached = existsSync(cacheDir)
      ? readdirSync(cacheDir)
          .map((d) => d.match(/^node-(\d+\.\d+\.\d+)(?:-([a-z0-9]+))?$/))
          .filter((m) => m && (m[2] ?? process.arch) === arch)
          .map((m) => m[1])
          .filter((v) => v?.startsWith(`${major}.`))
          .sort(compareVersions)
      : [];
    if (cached.length) {
      note(`${err.message}; using cached ${cached.at(-1)}`);
      return cached.at(-1);
    }
    throw err;
  }
}

/**
 * `npm pack <spec>` and unpack it into `home` (home/package/...), replacing what was there only
 * once the new copy is whole. With `integrity` (npm's sha512-<base64>), the tarball must match it:
 * a pinned toolchain stays the bytes that were checked.
 */
export async function unpackNpmPackage(spec, home, { timeoutSec = 600, integrity } = {}) {
  banner(`fetch ${spec}`);
  const parent = path.dirname(home);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(path.join(parent, `.fetch-${path.basename(home)}-`));
  try {
    const packed = await run('npm', ['pack', spec, '--pack-destination', tmp, '--silent'], {
      cwd: tmp,
      timeoutSec,
      label: `npm pack ${spec}`,
    });
    if (!packed.ok) throw new Error(`npm pack ${spec} failed`);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack left no tarball in ${tmp}`);
    if (integrity) {
      const got = `sha512-${createHash('sha512')
        .update(readFileSync(path.join(tmp, tgz)))
        .digest('base64')}`;
      if (got !== integrity) throw new Error(`${spec}: tarball is ${got}, expected ${integrity}`);
    }
    const unpacked = await run('tar', ['-xzf', tgz], { cwd: tmp, timeoutSec, label: 'tar' });
    if (!unpacked.ok) throw new Error(`could not unpack ${tgz}`);
    rmSync(path.join(tmp, tgz), { force: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(tmp, home);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Returns { major, version, arch, abi, bin, nodedir, source } for one major, fetching it when
 * needed. opts: { cache, useSystem = true, fetchTimeout = 600, arch = process.arch }. For another
 * arch than this machine's, `bin` cannot run here (scripts/lib/qemu.mjs runs it) and its version
 * is read from its headers and package.json instead of from the binary.
 */
export async function provideNode(
  major,
  { cache = defaultCache(), useSystem = true, fetchTimeout = 600, arch = process.arch } = {},
) {
  const native = arch === process.arch;
  const pkgName = pkgNameFor(arch);
  if (native && useSystem && Number(process.versions.node.split('.')[0]) === major) {
    const nodedir = systemNodedir();
    if (nodedir)
      return {
        major,
        version: process.versions.node,
        arch,
        abi: Number(process.versions.modules),
        bin: process.execPath,
        nodedir,
        source: 'system',
      };
    note(`no headers found for the system node ${process.versions.node}; fetching ${pkgName}@${major}`);
  }
  const version = latestForMajor(major, cache, arch);
  const home = path.join(cache, cacheName(version, arch));
  const pkg = path.join(home, 'package');
  const bin = path.join(pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  let source = 'cache';
  if (!existsSync(bin) || checkNodedir(pkg, version)) {
    source = 'fetched';
    await unpackNpmPackage(`${pkgName}@${version}`, home, { timeoutSec: fetchTimeout });
  }
  const problem = checkNodedir(pkg, version);
  if (problem) throw new Error(problem);
  const actual = native
    ? nodeVersionOf(bin)
    : JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;
  if (actual !== version) throw new Error(`${bin} reports ${actual}, expected ${version}`);
  return {
    major,
    version,
    arch,
    abi: headerAbi(path.join(pkg, 'include', 'node')),
    bin,
    nodedir: pkg,
    source,
  };
}

// ---------------------------------------------------------------- building for a node

// node-gyp lets npm_config_* (and npm_package_config_node_gyp_*) variables override its
// command line, and `npm run` exports npm's own nodedir. Drop the ones that would pick
// other headers than the given Node's, and put that Node first on PATH.
const HEADER_KEYS = new Set(['nodedir', 'target', 'runtime', 'disturl', 'dist-url', 'devdir']);
export function envFor(node, base = process.env) {
  const env = { ...base };
  for (const key of Object.keys(env)) {
    const m = key.match(/^(?:npm_config_|npm_package_config_node_gyp_)(.*)$/i);
    if (m && HEADER_KEYS.has(m[1].replaceAll('_', '-').toLowerCase())) delete env[key];
  }
  const pathKey = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') || 'PATH';
  env[pathKey] = [path.dirname(node.bin), env[pathKey]].filter(Boolean).join(path.delimiter);
  return env;
}
