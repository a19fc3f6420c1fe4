// The production settings' side effects: the snapshot directory, retention, near-heap-limit
// snapshots and snapshots on 'leak'. Parsing and validation stay in options.ts.
import type { EventEmitter } from 'node:events';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HeapwatchError } from './errors.js';
import { LeakSnapshotGate } from './leak-snapshot.js';
import type { Binding } from './native.js';
import { prune } from './retention.js';
import type { Settings } from './settings.js';
import type { SnapshotEvent } from './snapshot.js';

// mkdir -p, one level at a time (Node 20's recursive mkdirSync loops forever on some paths,
// /proc/x for one). Missing levels are created 0700.
function mkdirs(abs: string): void {
  try {
    mkdirSync(abs, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(abs);
    if (code !== 'ENOENT' || parent === abs) throw error;
    mkdirs(parent);
    mkdirSync(abs, { mode: 0o700 });
  }
}

/** Resolves `dir` against the current directory and creates it (0700) if missing. */
export function ensureDir(dir: string): string {
  if (dir === '') return '';
  const abs = resolve(dir);
  try {
    mkdirs(abs);
    if (!statSync(abs).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'EIO';
    const error = new HeapwatchError(code, `could not create the snapshot directory ${abs}: ${code}`);
    error.syscall = 'mkdir';
    error.path = abs;
    throw error;
  }
  return abs;
}

export interface ProductionHost {
  isMainThread: boolean;
  warn: (line: string) => void;
  settings: () => Readonly<Settings>;
  /** Writes an unattended snapshot (generated name, stderr line) and returns the event payload. */
  writeUnattended: (trigger: string) => SnapshotEvent;
  now?: () => number;
}

export function createProduction(binding: Binding, emitter: EventEmitter, host: ProductionHost) {
  let gate: LeakSnapshotGate | undefined;
  const now = host.now ?? (() => Date.now());

  function onLeak(): void {
    if (gate === undefined || !gate.allow(now())) return;
    emitter.emit('snapshot', host.writeUnattended('leak'));
  }

  /** Retention for the directory of a snapshot heapwatch just wrote under a generated name. */
  function afterWrite(path: string): void {
    const { keep, name } = host.settings();
    if (keep === false) return;
    try {
      prune(dirname(resolve(path)), name, keep);
    } catch (error) {
      host.warn(`heapwatch: retention failed in ${dirname(resolve(path))}: ${(error as Error).message}`);
    }
  }

  /** Applies `next` (already validated, `dir` already created) over `prev`. */
  function apply(prev: Readonly<Settings>, next: Readonly<Settings>): void {
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(prev.heapLimit, next.heapLimit)) {
      binding.heapLimit(next.heapLimit === false ? 0 : next.heapLimit.max, host.isMainThread);
    }
    if (!same(prev.snapshotOnLeak, next.snapshotOnLeak)) {
      emitter.off('leak', onLeak);
      gate = next.snapshotOnLeak === false ? undefined : new LeakSnapshotGate(next.snapshotOnLeak);
      if (gate !== undefined) emitter.on('leak', onLeak);
    }
  }

  /** After the settings changed: enforce `keep` in the directory now (cleans up after crashes). */
  function settled(prev: Readonly<Settings>, next: Readonly<Settings>): void {
    if (next.keep === false) return;
    if (prev.keep === next.keep && prev.dir === next.dir && prev.name === next.name) return;
    const dir = next.dir === '' ? process.cwd() : next.dir;
    try {
      prune(dir, next.name, next.keep);
    } catch (error) {
      host.warn(`heapwatch: retention failed in ${dir}: ${(error as Error).message}`);
    }
  }

  return { apply, settled, afterWrite };
}
