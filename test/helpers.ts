// The tests' one helpers module: temp dirs, snapshot files, the one child-process runner (with
// bounded waits), and heapwatch in this process over the test build of the addon.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import { loadBinding, type TestBinding } from '../src/binding.js';
import { Heapwatch as HeapwatchImpl } from '../src/heapwatch.js';
import type { Heapwatch } from '../src/types.js';

export const ROOT = resolve(__dirname, '..');
export const FIXTURES = join(__dirname, 'fixtures');

export const SNAPSHOT_NAME = /^heapdump-\d+\.\d{6}\.heapsnapshot$/;
export const TEMP_NAME = /^\.heapwatch-.*\.tmp$/;

/** A fresh directory under the system temp dir, removed when the test finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The `.heapsnapshot` files in `dir`, sorted. */
export const snapshotsIn = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.heapsnapshot'))
    .sort();
/** The snapshots with heapdump's default names in `dir`, sorted. */
export const heapdumpsIn = (dir: string) => snapshotsIn(dir).filter((f) => f.startsWith('heapdump-'));
export const tempFilesIn = (dir: string) => readdirSync(dir).filter((f) => TEMP_NAME.test(f));

export interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[] }; node_count: number };
  nodes: number[];
  strings: string[];
}

/** Parses a snapshot file; fails the test if it is not a complete V8 heap snapshot. */
export function readSnapshot(path: string): HeapSnapshotJson {
  const json = JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotJson;
  if (!Array.isArray(json.snapshot?.meta?.node_fields) || !Array.isArray(json.strings)) {
    throw new Error(`${path} is JSON but not a heap snapshot`);
  }
  if (json.nodes.length !== json.snapshot.node_count * json.snapshot.meta.node_fields.length) {
    throw new Error(`${path}: node count does not match the nodes array`);
  }
  return json;
}

/** Polls `check` every 25 ms until it returns true; throws after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

/**
 * memwatch's eight 'stats' keys, in the contract's order: written out in a fixture (not taken
 * from src/), shared with scripts/test-package.mjs.
 */
export const MEMWATCH_STATS_KEYS: string[] = JSON.parse(
  readFileSync(join(FIXTURES, 'memwatch-stats-keys.json'), 'utf8'),
);

// ---------------------------------------------------------------- child processes

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Child {
  process: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<Exit>;
  /** Resolves once stdout has a line starting with `@tag`; rejects after `ms`. */
  waitFor(tag: string, ms?: number): Promise<void>;
  /** Resolves with the payload of the next `@tag` line not yet returned by next(); rejects after `ms`. */
  next(tag: string, ms?: number): Promise<any>;
  /** JSON payloads of every `@tag <json>` line so far. */
  lines<T = any>(tag: string): T[];
  /** Resolves once stderr matches; rejects after `ms`. */
  stderrMatches(pattern: RegExp, ms?: number): Promise<void>;
  send(line: string): void;
  signal(sig: NodeJS.Signals): void;
}

export interface StartOptions {
  cwd: string;
  env?: Record<string, string>;
  args?: string[];
  /** Run through `bash -c '<prefix> exec node <script>'` (for ulimit and traps). */
  shellPrefix?: string;
  /** Options for node itself, before the script. */
  nodeArgs?: string[];
  /** Load the test build of the addon (its test seams): HEAPWATCH_TEST_ADDON=1. */
  testAddon?: boolean;
  /** Hard limit: the child is killed with SIGKILL after this. */
  timeoutMs?: number;
}

/**
 * Starts `node <script>`: a file in test/fixtures, or a path from the repository root
 * ('bench/...'). NODE_HEAPDUMP_OPTIONS is empty unless `env` sets it. Killed when the test finishes
 * if still running.
 */
export function start(script: string, options: StartOptions): Child {
  const file = isAbsolute(script)
    ? script
    : script.includes('/')
      ? join(ROOT, script)
      : join(FIXTURES, script);
  const argv = [...(options.nodeArgs ?? []), file, ...(options.args ?? [])];
  const env = {
    ...process.env,
    NODE_HEAPDUMP_OPTIONS: '',
    ...(options.testAddon ? { HEAPWATCH_TEST_ADDON: '1' } : {}),
    ...options.env,
  };
  const quoted = [process.execPath, ...argv].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = options.shellPrefix
    ? spawn('bash', ['-c', `${options.shellPrefix} exec ${quoted}`], { cwd: options.cwd, env })
    : spawn(process.execPath, argv, { cwd: options.cwd, env });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    wake();
  });
  child.stdin!.on('error', () => {}); // the child may exit before reading
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const exited = new Promise<Exit>((done) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      wake();
      done({ code, signal, stdout, stderr });
    });
  });
  try {
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  } catch {
    // Started by a beforeAll hook, outside any test: the timeout above bounds it.
  }
  const lines = (tag: string) =>
    stdout
      .split('\n')
      .filter((l) => l === `@${tag}` || l.startsWith(`@${tag} `))
      .map((l) => {
        const rest = l.slice(tag.length + 1).trim();
        return rest === '' ? null : JSON.parse(rest);
      });
  // Resolves with what `found` returns once it returns something; rejects at exit or after `ms`.
  const when = <T>(found: () => T | undefined, ms: number, what: string) =>
    new Promise<T>((done, fail) => {
      const check = () => {
        const value = found();
        if (value !== undefined) {
          finish();
          done(value);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          finish();
          fail(new Error(`child exited before ${what}\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        fail(new Error(`no ${what} within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const returned = new Map<string, number>();
  const nth = (tag: string, index: number, ms: number) =>
    when(
      () => {
        const all = lines(tag);
        return all.length > index ? { value: all[index] } : undefined;
      },
      ms,
      `@${tag}`,
    ).then((r) => r.value);
  return {
    process: child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    lines,
    waitFor(tag, ms = 20_000) {
      return nth(tag, 0, ms).then(() => undefined);
    },
    next(tag, ms = 20_000) {
      const index = returned.get(tag) ?? 0;
      returned.set(tag, index + 1);
      return nth(tag, index, ms);
    },
    stderrMatches(pattern, ms = 20_000) {
      return when(() => (pattern.test(stderr) ? true : undefined), ms, `stderr matching ${pattern}`).then(
        () => {},
      );
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    signal(sig) {
      child.kill(sig);
    },
  };
}

/** Runs a script to the end (stdin closed). */
export function run(script: string, options: StartOptions): Promise<Exit> {
  const child = start(script, options);
  child.process.stdin!.end();
  return child.exited;
}

/** The JSON payloads of `@tag <json>` lines in some output. */
export function tagged<T = any>(stdout: string, tag: string): T[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`@${tag} `))
    .map((l) => JSON.parse(l.slice(tag.length + 2)) as T);
}

/**
 * Runs a script that prints its result as JSON (an `@result <json>` line, else its last line) and
 * returns it; fails on a bad exit or anything on stderr unless `stderr` allows it.
 */
export async function result<T = any>(
  script: string,
  options: StartOptions & { stderr?: boolean },
): Promise<T> {
  const exit = await run(script, options);
  const failed = exit.code !== 0 || exit.signal !== null || (!options.stderr && exit.stderr !== '');
  if (failed) {
    throw new Error(
      `${script} exited ${exit.code ?? exit.signal}\nstdout: ${exit.stdout}\nstderr: ${exit.stderr}`,
    );
  }
  const [tagged_] = tagged<T>(exit.stdout, 'result');
  return tagged_ ?? (JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? 'null') as T);
}

// ---------------------------------------------------------------- heapwatch in this process

let binding: TestBinding | undefined;
/** The test build of the addon (build/Release/heapwatch_test.node), loaded once per test file. */
export function testBinding(): TestBinding {
  if (binding === undefined) {
    process.env.HEAPWATCH_TEST_ADDON = '1';
    binding = loadBinding(ROOT) as TestBinding;
  }
  return binding;
}

/**
 * A heapwatch over the test addon in this process, configured from `env` like
 * NODE_HEAPDUMP_OPTIONS, without the signal (no process-wide handler inside the test runner).
 */
export function heapwatchWith(env = ''): { hw: Heapwatch; warnings: string[] } {
  const warnings: string[] = [];
  const hw: Heapwatch = new HeapwatchImpl(testBinding(), {
    isMainThread: false,
    threadId: 7,
    envOptions: env,
    warn: (line) => warnings.push(line),
  });
  onTestFinished(() => {
    // Back to defaults: the addon's snapshot and heap-limit settings are per environment.
    hw.configure({
      dir: '',
      name: testBinding().facts().defaultName,
      keep: false,
      heapLimit: false,
      snapshotOnLeak: false,
    });
  });
  return { hw, warnings };
}
