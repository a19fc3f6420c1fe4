#!/usr/bin/env node
// Lint what npm would publish: pack the current tree (dist/ as built, no lifecycle scripts, so
// no prebuilds are compiled here), then run publint and @arethetypeswrong/cli (attw) on the
// tarball, offline. Part of `npm test`; `npm run test:package` tests the real tarball.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name, rel) => path.join(root, 'node_modules', name, rel);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(), stdout: r.stdout ?? '' };
}

if (!existsSync(path.join(root, 'dist', 'index.cjs'))) {
  console.error('check:package: dist/ is missing; run npm run build:ts first');
  process.exit(2);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'heapwatch-check-'));
let failed = 0;
try {
  const packed = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir]);
  if (!packed.ok) throw new Error(`npm pack failed:\n${packed.out}`);
  const info = JSON.parse(packed.stdout)[0];
  const tgz = path.join(dir, info.filename);
  const files = info.files.map((f) => f.path);

  // Only what a user needs: the build, the native sources for a from-source install, prebuilds.
  const stray = files.filter(
    (f) =>
      !/^(dist\/|native\/[\w-]+\.(cc|h)$|prebuilds\/[\w-]+\/[\w.+-]+\.node$)/.test(f) &&
      !['binding.gyp', 'package.json', 'README.md', 'LICENSE'].includes(f),
  );
  const checks = [
    [
      'files: only dist, native sources, prebuilds, binding.gyp, README',
      stray.length === 0,
      stray.join(', '),
    ],
    [
      'files: has dist/index.cjs, dist/index.mjs and their types',
      ['dist/index.cjs', 'dist/index.mjs', 'dist/index.d.cts', 'dist/index.d.mts'].every((f) =>
        files.includes(f),
      ),
      '',
    ],
    [
      'files: has binding.gyp and native/addon.cc',
      files.includes('binding.gyp') && files.includes('native/addon.cc'),
      '',
    ],
  ];
  for (const [name, ok, detail] of checks) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : `: ${detail}`}`);
    if (!ok) failed++;
  }

  const publint = sh(process.execPath, [bin('publint', 'src/cli.js'), 'run', tgz, '--strict']);
  console.log(`${publint.ok ? 'ok  ' : 'FAIL'} publint --strict`);
  if (!publint.ok || !/All good/.test(publint.out)) {
    console.log(publint.out);
    failed++;
  }

  // --no-definitely-typed: no registry look-up for @types/heapwatch (there is none).
  const attw = sh(process.execPath, [
    bin('@arethetypeswrong/cli', 'dist/index.js'),
    tgz,
    '--no-definitely-typed',
    '--format',
    'table',
    '--no-color',
    '--no-emoji',
  ]);
  console.log(`${attw.ok ? 'ok  ' : 'FAIL'} attw (all module resolutions)`);
  if (!attw.ok) {
    console.log(attw.out);
    failed++;
  }
  console.log(
    `check:package: ${info.filename}, ${files.length} files, ${(info.size / 1024).toFixed(0)} KiB packed`,
  );
} catch (err) {
  console.error(`check:package: ${err.message}`);
  failed++;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failed) {
  console.error(`check:package: ${failed} problem(s)`);
  process.exit(1);
}
console.log('check:package: publint and attw clean');
