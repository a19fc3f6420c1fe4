// writeSnapshot (heapdump's contract) and snapshot() (the Promise API), over the binding.
import { channel } from 'node:diagnostics_channel';
import { join, resolve } from 'node:path';
import { argumentError, type HeapwatchError, invalidArg, systemError } from './errors.js';
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

// Every snapshot's outcome, whatever its trigger (the API's too, which 'snapshot' does not
// emit), for observers such as heapwatch/prometheus. Built and published only while subscribed.
const outcomes = channel('heapwatch:snapshot');
const published = <T extends SnapshotEvent>(event: T): T => {
  if (outcomes.hasSubscribers) outcomes.publish(event);
  return event;
};

const mb = (bytes = 0) => `${(bytes / 1048576).toFixed(1)} MB`;

/** What the disk guard or the heap-limit memory check said, for error messages; '' otherwise. */
function shortage(r: NativeWriteResult): string {
  if (r.syscall === 'statfs')
    return `the snapshot needs at least ${mb(r.needed)} and only ${mb(r.free)} are free`;
  if (r.syscall === 'heap-limit') {
    return `the snapshot would need about ${mb(r.needed)} of memory and only ${mb(r.free)} are available`;
  }
  return '';
}

function withShortage<T extends Error>(error: T, r: NativeWriteResult): T {
  if (r.syscall === 'statfs' || r.syscall === 'heap-limit') {
    Object.assign(error, { needed: r.needed, free: r.free });
  }
  return error;
}

function heapdumpError(r: NativeWriteResult): HeapwatchError {
  const why = shortage(r);
  return withShortage(
    systemError(
      (code) => `heapdump write error ${code}${why ? ` (${why})` : ''}`,
      r.errno,
      r.syscall,
      r.path,
    ),
    r,
  );
}

function snapshotError(r: NativeWriteResult): HeapwatchError {
  const why = shortage(r);
  const what = r.path === '' ? 'heap snapshot' : `heap snapshot to ${resolve(r.path)}`;
  return withShortage(
    systemError(
      (code) => `could not write ${what}: ${code} (${why || r.syscall})`,
      r.errno,
      r.syscall,
      r.path,
    ),
    r,
  );
}

function toInfo(r: NativeWriteResult, trigger: string): SnapshotInfo {
  return { path: resolve(r.path), bytes: r.bytes, durationMs: r.durationMs, trigger };
}

/** Turns an addon-queued outcome into the 'snapshot' event's payload. */
export function toSnapshotEvent(e: NativeSnapshotEvent): SnapshotEvent {
  return published(e.errno === 0 ? toInfo(e, e.trigger) : { error: snapshotError(e), trigger: e.trigger });
}

export interface SnapshotHooks {
  /** After a snapshot under a generated name was written (retention runs here). */
  afterWrite?: (path: string) => void;
}

export function createSnapshotApi(binding: Binding, hooks: SnapshotHooks = {}) {
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
    const generated = typeof filename !== 'string';
    const path = typeof filename === 'string' ? filename : binding.nextPath('api');
    const r = binding.writeSnapshot(path, 'api', generated);
    const cb = typeof callback === 'function' ? (callback as WriteSnapshotCallback) : undefined;
    if (r.errno !== 0) {
      const error = published({ error: heapdumpError(r), trigger: 'api' }).error;
      cb?.(error);
      return false;
    }
    if (outcomes.hasSubscribers) published(toInfo(r, 'api'));
    // A generated name that was taken moves on to the next one: report the one written.
    if (generated) hooks.afterWrite?.(r.path);
    cb?.(null, generated ? r.path : path);
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
    const r = binding.writeSnapshot(path, 'api', filename === undefined);
    if (r.errno !== 0) throw published({ error: snapshotError(r), trigger: 'api' }).error;
    if (filename === undefined) hooks.afterWrite?.(r.path);
    return published(toInfo(r, 'api'));
  }

  /**
   * A snapshot nobody called for from JS (on 'leak'): generated name, one stderr line, the
   * outcome as a 'snapshot' event payload. Never throws for I/O failures.
   */
  function unattended(trigger: string, warn: (line: string) => void): SnapshotEvent {
    const path = binding.nextPath(trigger);
    const r = binding.writeSnapshot(path, trigger, true);
    const event = toSnapshotEvent({ ...r, trigger });
    if ('error' in event) {
      warn(`heapwatch: ${event.error.message} (${trigger})`);
    } else {
      warn(
        `heapwatch: wrote ${event.path} (${mb(event.bytes)} in ${event.durationMs.toFixed(0)} ms, ${trigger})`,
      );
      hooks.afterWrite?.(r.path);
    }
    return event;
  }

  return { writeSnapshot, snapshot, unattended };
}

function validateSnapshotOptions(options: unknown): SnapshotOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArg('options', 'an object', options);
  }
  const { filename, dir, ...rest } = options as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw argumentError(`Unknown option \`${unknown[0]}\` in \`options\`; snapshot() takes filename or dir`);
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
