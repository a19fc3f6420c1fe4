// The peers this benchmark compares against, installed on first use into bench/.peers
// (git-ignored): nothing here is a dependency of heapwatch.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const peersDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.peers');

export function ensurePeers() {
  if (existsSync(join(peersDir, 'node_modules', '@sematext', 'gc-stats'))) return;
  mkdirSync(peersDir, { recursive: true });
  writeFileSync(join(peersDir, 'package.json'), '{"name":"heapwatch-bench-peers","private":true}\n');
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '@airbnb/node-memwatch@3', '@sematext/gc-stats@1'],
    { cwd: peersDir, stdio: 'inherit' },
  );
}

/**
 * Variants run only when asked for (--variants): heapwatch's addon alone; the metrics entries,
 * and the metrics libraries alone (what a process with them pays before heapwatch's metrics).
 */
export const EXTRA_VARIANTS = [
  'heapwatch-addon-only',
  'node-modules-of-heapwatch',
  'prom-client-loaded',
  'heapwatch-prometheus',
  'opentelemetry-sdk-loaded',
  'heapwatch-opentelemetry',
];

/** The variants compared by default, in table order. */
export const VARIANTS = [
  'none',
  'heapwatch-loaded',
  'heapwatch-stats',
  'heapwatch-gc',
  'perf_hooks-gc',
  'airbnb-node-memwatch',
  'sematext-gc-stats',
];

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
