// Shared by the tests: temp dirs, child processes with bounded waits, snapshot files.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';

export const ROOT = resolve(__dirname, '..');
export const FIXTURES = join(__dirname, 'fixtures');

export const SNAPSHOT_NAME = /^heapdump-\d+\.\d+\.heapsnapshot$/;
export const TEMP_NAME = /^\.heapwatch-.*\.tmp$/;

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A fresh directory under the system temp dir, removed when the test finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const snapshotsIn = (dir: string) =>
  readdirSync(dir).filter((f) => /^heapdump-.*\.heapsnapshot$/.test(f));
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
  send(line: string): void;
  signal(sig: NodeJS.Signals): void;
}

export interface StartOptions {
  cwd: string;
  env?: Record<string, string>;
  args?: string[];
  /** Run through `bash -c '<prefix> exec node <fixture>'` (for ulimit and traps). */
  shellPrefix?: string;
  /** Options for node itself, before the fixture. */
  nodeArgs?: string[];
  /** Hard limit: the child is killed with SIGKILL after this. */
  timeoutMs?: number;
}

/** Starts `node test/fixtures/<fixture>`; killed when the test finishes if still running. */
export function start(fixture: string, options: StartOptions): Child {
  const script = join(FIXTURES, fixture);
  const args = options.args ?? [];
  const nodeArgs = options.nodeArgs ?? [];
  const env = { ...process.env, NODE_HEAPDUMP_OPTIONS: '', ...options.env };
  const quoted = [process.execPath, ...nodeArgs, script, ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const child = options.shellPrefix
    ? spawn('bash', ['-c', `${options.shellPrefix} exec ${quoted}`], { cwd: options.cwd, env })
    : spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: options.cwd, env });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin!.on('error', () => {}); // the child may exit before reading
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 40_000);
  const exited = new Promise<Exit>((done) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters) w();
      done({ code, signal, stdout, stderr });
    });
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = (tag: string) =>
    stdout
      .split('\n')
      .filter((l) => l === `@${tag}` || l.startsWith(`@${tag} `))
      .map((l) => {
        const rest = l.slice(tag.length + 1).trim();
        return rest === '' ? null : JSON.parse(rest);
      });
  // The payload of the index-th `@tag` line, once there is one.
  const returned = new Map<string, number>();
  const nth = (tag: string, index: number, ms: number) =>
    new Promise<any>((done, fail) => {
      const check = () => {
        const all = lines(tag);
        if (all.length > index) {
          finish();
          done(all[index]);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          finish();
          fail(new Error(`child exited before @${tag}\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        fail(new Error(`no @${tag} within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
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
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    signal(sig) {
      child.kill(sig);
    },
  };
}

/** Runs a fixture to the end. */
export function run(fixture: string, options: StartOptions): Promise<Exit> {
  const child = start(fixture, options);
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

/** Polls `check` every 25 ms until it returns true; throws after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * memwatch's eight 'stats' keys, in the contract's order: written out in a fixture (not taken
 * from src/), shared with scripts/test-package.mjs.
 */
export const MEMWATCH_STATS_KEYS: string[] = JSON.parse(
  readFileSync(join(FIXTURES, 'memwatch-stats-keys.json'), 'utf8'),
);
