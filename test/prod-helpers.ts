// Helpers for the production-feature tests (issue 5): temp dirs, an in-process heapwatch with its
// own settings, and child processes with bounded waits.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import * as errors from '../src/errors.js';
import { createHeapwatch, type Heapwatch } from '../src/heapwatch.js';
import * as lazy from '../src/lazy.js';
import { type Binding, loadBinding } from '../src/native.js';
import { DEFAULT_NAME } from '../src/settings.js';

export const ROOT = resolve(__dirname, '..');
export const FIXTURES = join(__dirname, 'fixtures');

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-prod-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let binding: Binding | undefined;
export function native(): Binding {
  binding ??= loadBinding(ROOT).more();
  return binding;
}

/** A heapwatch over the real addon, configured from `env` like NODE_HEAPDUMP_OPTIONS, no signal. */
export function heapwatchWith(env = ''): { hw: Heapwatch; warnings: string[] } {
  const warnings: string[] = [];
  const hw = createHeapwatch(native(), {
    isMainThread: false, // no process-wide signal handler inside the test runner
    threadId: 7,
    envOptions: env,
    warn: (line) => warnings.push(line),
    lazy: () => lazy,
    errors: () => errors,
  });
  onTestFinished(() => {
    // Back to defaults: the addon's naming and heap-limit state are per environment.
    hw.configure({ dir: '', name: DEFAULT_NAME, keep: false, heapLimit: false, snapshotOnLeak: false });
  });
  return { hw, warnings };
}

export const snapshots = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.heapsnapshot'))
    .sort();
export const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

/** Parses a snapshot file; throws unless it is a complete V8 heap snapshot. */
export function parseSnapshot(path: string): { nodeCount: number; strings: string[] } {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const fields = json.snapshot.meta.node_fields.length;
  if (json.nodes.length !== json.snapshot.node_count * fields) throw new Error(`${path}: truncated nodes`);
  return { nodeCount: json.snapshot.node_count, strings: json.strings };
}

export { type Child, type Exit, start } from './helpers.js';
