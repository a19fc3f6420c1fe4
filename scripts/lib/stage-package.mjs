// A package directory that holds heapwatch as a user gets it but without build/, so that the
// loader can only choose a prebuilt binary, and the run of scripts/lib/exercise-prebuild.cjs in
// it. Shared by scripts/prebuild.mjs (x64, natively) and scripts/test-arm64.mjs (under qemu-user).

import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './node-dist.mjs';

const EXERCISE = path.join(repoRoot, 'scripts', 'lib', 'exercise-prebuild.cjs');

/** Copies package.json, dist/ and the given prebuilds (paths relative to the repo) into dir. */
export function stagePackage(dir, prebuilds) {
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
  // A copy, not a link: the loader finds the package root from dist/'s real path.
  cpSync(path.join(repoRoot, 'dist'), path.join(dir, 'dist'), { recursive: true });
  for (const rel of prebuilds) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    copyFileSync(path.join(repoRoot, rel), path.join(dir, rel));
  }
  return dir;
}

/**
 * Runs exercise-prebuild.cjs for the package at `root` with `runner` ({ cmd, args, env }: a
 * Node, or qemu-user and its arguments before an arm64 Node). Returns { ok, result, line, out }.
 */
export function exercise(runner, root, expected, scratch, timeoutSec) {
  const r = spawnSync(runner.cmd, [...runner.args, EXERCISE, root, expected, scratch], {
    cwd: scratch,
    env: runner.env,
    encoding: 'utf8',
    timeout: timeoutSec * 1000,
    maxBuffer: 16 << 20,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const line = out.split('\n').find((l) => l.startsWith('RESULT ')) ?? '';
  let result = null;
  try {
    result = line ? JSON.parse(line.slice('RESULT '.length)) : null;
  } catch {}
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return {
    ok: r.status === 0 && result?.ok === true,
    result,
    line: line || `no RESULT line (${why})`,
    out: out || why,
  };
}
