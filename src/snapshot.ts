// writeSnapshot (heapdump's contract) and snapshot() (the Promise API): each one call into the
// addon, which names, writes, records and prunes (native/snapshot_writer.h).
import { channel } from 'node:diagnostics_channel';
import { resolve } from 'node:path';
import type { Binding, NativeWriteResult } from './binding.js';
import { argumentError, type HeapwatchError, invalidArg, systemError } from './errors.js';
import type { SnapshotEvent, SnapshotInfo, SnapshotOptions, WriteSnapshotCallback } from './types.js';

// Every snapshot's outcome, whatever its trigger (the API's too, which 'snapshot' does not emit),
// for observers such as heapwatch/prometheus. Published only while someone subscribes.
const outcomes = channel('heapwatch:snapshot');
const published = <T extends SnapshotEvent>(event: T): T => {
  if (outcomes.hasSubscribers) outcomes.publish(event);
  return event;
};

/** The error for a failed snapshot; the disk guard's and memory check's figures come along. */
function failure(r: NativeWriteResult, message: (code: string) => string): HeapwatchError {
  const error = systemError(message, r.errno, r.syscall, r.path);
  if (r.syscall === 'statfs' || r.syscall === 'heap-limit')
    Object.assign(error, { needed: r.needed, free: r.free });
  return error;
}

function toInfo(r: NativeWriteResult, trigger: string): SnapshotInfo {
  return { path: resolve(r.path), bytes: r.bytes, durationMs: r.durationMs, trigger };
}

/** A snapshot's outcome as the 'snapshot' event's payload. */
export function toSnapshotEvent(r: NativeWriteResult): SnapshotEvent {
  return published(
    r.errno === 0 ? toInfo(r, r.trigger) : { error: failure(r, () => r.message), trigger: r.trigger },
  );
}

/**
 * heapdump's `writeSnapshot([filename], [callback])`: writes synchronously, calls `callback`
 * exactly once before returning, and returns whether the file was written. Never throws for
 * I/O failures; throws a HeapwatchError only for a callback that is not a function.
 */
export function writeSnapshot(binding: Binding, filename?: unknown, callback?: unknown): boolean {
  if (typeof filename === 'function') {
    callback = filename;
    filename = undefined;
  }
  if (callback !== undefined && callback !== null && callback !== false && typeof callback !== 'function') {
    throw invalidArg('callback', 'a function', callback);
  }
  const r = binding.writeSnapshot('api', typeof filename === 'string' ? filename : undefined, '');
  const cb = typeof callback === 'function' ? (callback as WriteSnapshotCallback) : undefined;
  if (r.errno !== 0) {
    // heapdump's message exactly; the disk guard and the memory check add their figures.
    const shortage = r.syscall === 'statfs' || r.syscall === 'heap-limit' ? ` (${r.detail})` : '';
    const error = failure(r, (code) => `heapdump write error ${code}${shortage}`);
    published({ error, trigger: 'api' });
    cb?.(error);
    return false;
  }
  if (outcomes.hasSubscribers) published(toInfo(r, 'api'));
  // The caller's string unchanged, or the generated name as written (relative without `dir`).
  cb?.(null, typeof filename === 'string' ? filename : r.path);
  return true;
}

/**
 * Writes a heap snapshot and resolves with where it went, its size and how long it took.
 * Rejects with a HeapwatchError (`code` ENOENT, ENOSPC, ... or ERR_HEAPWATCH_INVALID_ARG).
 * The process is paused while the snapshot is taken, as with every heap snapshot.
 */
export async function snapshot(binding: Binding, options: SnapshotOptions = {}): Promise<SnapshotInfo> {
  const { filename, dir } = validateSnapshotOptions(options);
  const r = binding.writeSnapshot('api', filename, dir ?? '');
  if (r.errno !== 0) throw published({ error: failure(r, () => r.message), trigger: 'api' }).error;
  return published(toInfo(r, 'api'));
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
  const path = (value: unknown) => typeof value === 'string' && value !== '' && !value.includes('\0');
  if (filename !== undefined && !path(filename)) {
    throw invalidArg('options.filename', 'a non-empty file path without NUL bytes', filename);
  }
  if (dir !== undefined && !path(dir)) {
    throw invalidArg('options.dir', 'a non-empty directory path without NUL bytes', dir);
  }
  if (filename !== undefined && dir !== undefined) {
    throw invalidArg('options', 'either `filename` or `dir`, not both', options);
  }
  return { filename: filename as string | undefined, dir: dir as string | undefined };
}
