// Helpers for the production-feature tests (issue 5): temp dirs, an in-process heapwatch with its
// own settings, and child processes with bounded waits.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import { createHeapwatch, type Heapwatch } from '../src/heapwatch.js';
import { type Binding, loadBinding } from '../src/native.js';
import { DEFAULT_NAME } from '../src/options.js';

export const ROOT = resolve(__dirname, '..');
export const FIXTURES = join(__dirname, 'fixtures');

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-prod-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let binding: Binding | undefined;
export function native(): Binding {
  binding ??= loadBinding(ROOT);
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

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Child {
  exited: Promise<Exit>;
  /** Resolves with the payload of the first `@tag <json>` stdout line; rejects after `ms`. */
  next(tag: string, ms?: number): Promise<any>;
  kill(signal: NodeJS.Signals): void;
  readonly stderr: string;
}

/** Starts `node [nodeArgs] test/fixtures/<fixture> [args]`; SIGKILLed after `timeoutMs`. */
export function start(
  fixture: string,
  opts: {
    cwd: string;
    env?: Record<string, string>;
    args?: string[];
    nodeArgs?: string[];
    timeoutMs?: number;
  },
): Child {
  const child = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), join(FIXTURES, fixture), ...(opts.args ?? [])],
    {
      cwd: opts.cwd,
      env: { ...process.env, NODE_HEAPDUMP_OPTIONS: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  const seen = new Map<string, number>(); // tag -> how many lines next() already returned
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    for (const w of waiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const exited = new Promise<Exit>((done) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters) w();
      done({ code, signal, stdout, stderr });
    }),
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const payloads = (tag: string) =>
    stdout
      .split('\n')
      .filter((l) => l === `@${tag}` || l.startsWith(`@${tag} `))
      .map((l) => (l.length > tag.length + 1 ? JSON.parse(l.slice(tag.length + 2)) : null));
  return {
    exited,
    get stderr() {
      return stderr;
    },
    kill: (signal) => child.kill(signal),
    next(tag, ms = 20_000) {
      const index = seen.get(tag) ?? 0;
      seen.set(tag, index + 1);
      return new Promise((done, fail) => {
        const finish = () => {
          clearTimeout(timeout);
          waiters.delete(check);
        };
        const check = () => {
          const all = payloads(tag);
          if (all.length > index) {
            finish();
            done(all[index]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            finish();
            fail(new Error(`child exited before @${tag}\nstdout: ${stdout}\nstderr: ${stderr}`));
          }
        };
        const timeout = setTimeout(() => {
          finish();
          fail(new Error(`no @${tag} within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}
