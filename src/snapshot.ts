// writeSnapshot (heapdump's contract) and snapshot() (the Promise API), over the binding.
import { join, resolve } from 'node:path';
import { HeapwatchError, invalidArg, systemError } from './errors.js';
import type { Binding, NativeSnapshotEvent, NativeWriteResult } from './native.js';

/** What a written snapshot reports. */
export interface SnapshotInfo {
  /** Absolute path of the file. */
  path: string;
  /** Size of the file in bytes. */
  bytes: number;
  /** Time from the start of the snapshot to the file being complete. */
  durationMs: number;
  /** Why it was written: 'api', 'signal', ... */
  trigger: string;
}

/** The 'snapshot' event's payload when heapwatch failed to write one on its own. */
export interface SnapshotFailure {
  error: HeapwatchError;
  trigger: string;
}

export type SnapshotEvent = SnapshotInfo | SnapshotFailure;

/** heapdump's callback: `(null, filename)` on success, `(err)` on failure. */
export type WriteSnapshotCallback = (err: Error | null, filename?: string) => void;

export interface SnapshotOptions {
  /** File to write; relative to the current directory. Mutually exclusive with `dir`. */
  filename?: string;
  /** Directory for a generated name (default: the configured `dir`, else the current directory). */
  dir?: string;
}

function heapdumpError(r: NativeWriteResult): HeapwatchError {
  return systemError((code) => `heapdump write error ${code}`, r.errno, r.syscall, r.path);
}

function snapshotError(r: NativeWriteResult): HeapwatchError {
  return systemError(
    (code) => `could not write heap snapshot to ${resolve(r.path)}: ${code} (${r.syscall})`,
    r.errno,
    r.syscall,
    r.path,
  );
}

function toInfo(r: NativeWriteResult, trigger: string): SnapshotInfo {
  return { path: resolve(r.path), bytes: r.bytes, durationMs: r.durationMs, trigger };
}

/** Turns an addon-queued outcome into the 'snapshot' event's payload. */
export function toSnapshotEvent(e: NativeSnapshotEvent): SnapshotEvent {
  return e.errno === 0 ? toInfo(e, e.trigger) : { error: snapshotError(e), trigger: e.trigger };
}

export function createSnapshotApi(binding: Binding) {
  /**
   * heapdump's `writeSnapshot([filename], [callback])`: writes synchronously, calls `callback`
   * exactly once before returning, and returns whether the file was written. Never throws for
   * I/O failures; throws a HeapwatchError only for a callback that is not a function.
   */
  function writeSnapshot(filename?: unknown, callback?: unknown): boolean {
    if (typeof filename === 'function') {
      callback = filename;
      filename = undefined;
    }
    if (callback !== undefined && callback !== null && callback !== false && typeof callback !== 'function') {
      throw invalidArg('callback', 'a function', callback);
    }
    const path = typeof filename === 'string' ? filename : binding.nextPath('api');
    const r = binding.writeSnapshot(path, 'api');
    const cb = typeof callback === 'function' ? (callback as WriteSnapshotCallback) : undefined;
    if (r.errno !== 0) {
      cb?.(heapdumpError(r));
      return false;
    }
    cb?.(null, path);
    return true;
  }

  /**
   * Writes a heap snapshot and resolves with where it went, its size and how long it took.
   * Rejects with a HeapwatchError (`code` ENOENT, ENOSPC, ... or ERR_HEAPWATCH_INVALID_ARG).
   * The process is paused while the snapshot is taken, as with every heap snapshot.
   * @example
   *   const { path, bytes } = await heapwatch.snapshot({ dir: '/var/tmp' });
   */
  async function snapshot(options: SnapshotOptions = {}): Promise<SnapshotInfo> {
    const { filename, dir } = validateSnapshotOptions(options);
    let path: string;
    if (filename !== undefined) {
      path = filename;
    } else {
      const generated = binding.nextPath('api');
      path = dir === undefined ? generated : join(dir, generated.slice(generated.lastIndexOf('/') + 1));
    }
    const r = binding.writeSnapshot(path, 'api');
    if (r.errno !== 0) throw snapshotError(r);
    return toInfo(r, 'api');
  }

  return { writeSnapshot, snapshot };
}

function validateSnapshotOptions(options: unknown): SnapshotOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArg('options', 'an object', options);
  }
  const { filename, dir, ...rest } = options as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new HeapwatchError(
      'ERR_HEAPWATCH_INVALID_ARG',
      `Unknown option \`${unknown[0]}\` in \`options\`; snapshot() takes filename or dir`,
    );
  }
  if (
    filename !== undefined &&
    (typeof filename !== 'string' || filename === '' || filename.includes('\0'))
  ) {
    throw invalidArg('options.filename', 'a non-empty file path without NUL bytes', filename);
  }
  if (dir !== undefined && (typeof dir !== 'string' || dir === '' || dir.includes('\0'))) {
    throw invalidArg('options.dir', 'a non-empty directory path without NUL bytes', dir);
  }
  if (filename !== undefined && dir !== undefined) {
    throw invalidArg('options', 'either `filename` or `dir`, not both', options);
  }
  return { filename: filename as string | undefined, dir: dir as string | undefined };
}
