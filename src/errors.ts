import { getSystemErrorName } from 'node:util';

/** Stable codes for errors heapwatch raises itself; I/O errors use the system's name (ENOENT, ...). */
export type HeapwatchErrorCode = 'ERR_HEAPWATCH_INVALID_ARG' | 'ERR_HEAPWATCH_NATIVE_LOAD' | (string & {});

/**
 * The one error class heapwatch throws, rejects with, or passes to callbacks.
 * I/O failures keep `errno` (negative, as in Node's fs errors), `syscall` and `path`.
 */
export class HeapwatchError extends Error {
  readonly code: HeapwatchErrorCode;
  errno?: number;
  syscall?: string;
  path?: string;

  constructor(code: HeapwatchErrorCode, message: string) {
    super(message);
    this.name = 'HeapwatchError';
    this.code = code;
  }
}

// What marks heapwatch's errors, whichever copy of this module made them: the package's own
// bundles (the library, heapwatch/prometheus, ...) and a second installed copy each have one.
const BRAND = Symbol.for('heapwatch.error');

// `instanceof HeapwatchError` holds for every error heapwatch makes: the bad-argument ones, which
// are TypeErrors (as Node's own ERR_INVALID_ARG_TYPE is), and those of the other copies. A
// subclass of HeapwatchError keeps the ordinary instanceof.
Object.defineProperty(HeapwatchError, Symbol.hasInstance, {
  value(this: unknown, value: unknown): boolean {
    if (this !== HeapwatchError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  },
});

/** A bad argument: `instanceof TypeError` and `instanceof HeapwatchError`, code ERR_HEAPWATCH_INVALID_ARG. */
class HeapwatchArgumentError extends TypeError {
  readonly code: HeapwatchErrorCode = 'ERR_HEAPWATCH_INVALID_ARG';
}

for (const proto of [HeapwatchError.prototype, HeapwatchArgumentError.prototype]) {
  Object.defineProperty(proto, BRAND, { value: true });
}

/** The error for a bad argument or option; `message` says which, what was expected and what came. */
export function argumentError(message: string): HeapwatchError {
  return new HeapwatchArgumentError(message) as unknown as HeapwatchError;
}

/** Describes a value for an error message: `"x" (string)`, `42 (number)`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (typeof value === 'function') return `a function`;
  if (typeof value === 'object') {
    const name = Array.isArray(value) ? 'array' : (value.constructor?.name ?? 'object');
    return `an object (${name})`;
  }
  return `${String(value)} (${typeof value})`;
}

/**
 * One message shape for every bad argument: "Expected <what> for `name` but received <value>",
 * then ": <why>" when there is more to say.
 */
export function invalidArg(name: string, expected: string, received: unknown, why?: string): HeapwatchError {
  return argumentError(
    `Expected ${expected} for \`${name}\` but received ${describe(received)}${why ? `: ${why}` : ''}`,
  );
}

/** An error from a failed system call (errno positive, as the addon reports it). */
export function systemError(message: (code: string) => string, errno: number, syscall: string, path: string) {
  const code = getSystemErrorName(-errno);
  const error = new HeapwatchError(code, message(code));
  error.errno = -errno;
  error.syscall = syscall;
  error.path = path;
  return error;
}
