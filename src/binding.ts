// The addon: the only module that loads it, what it offers, and the error when it cannot load.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HeapwatchError } from './errors.js';

/** What the addon reports for a snapshot; `errno` 0 means success. */
export interface NativeWriteResult {
  /** As written: the caller's path, or the generated one (absolute for unattended snapshots). */
  path: string;
  trigger: string;
  bytes: number;
  durationMs: number;
  errno: number;
  syscall: string;
  /** Disk guard (ENOSPC, 'statfs') or heap-limit memory check (ENOMEM, 'heap-limit'). */
  needed: number;
  free: number;
  /** On failure: why, in words (`a FIFO that no process has open for reading`), or the failed step. */
  detail: string;
  /** On failure: `could not write heap snapshot to /x: ENOSPC (the snapshot needs ...)`. */
  message: string;
}

/** What the addon defines once for both languages (native/addon.cc, Facts). */
export interface Facts {
  defaultName: string;
  placeholders: string;
  ledger: string;
  /** The signals heapwatch may take over on this platform. */
  signals: string[];
  gc: GcLayout;
}

/** How a GC record (native/gc_monitor.h, GcRecord) is laid out in the Float64Array batches. */
export interface GcLayout {
  stride: number;
  fields: Record<
    | 'kind'
    | 'flags'
    | 'own'
    | 'fullTotal'
    | 'incTotal'
    | 'startTime'
    | 'durationMs'
    | 'cpuMs'
    | 'dropped'
    | 'before'
    | 'after'
    | 'estimatedBase'
    | 'usageTrend'
    | 'min'
    | 'max',
    number
  >;
  /** The HeapNumbers at `before` and `after`, in order. */
  heap: string[];
  /** GcKind names by code, flag names by bit. */
  types: string[];
  flags: string[];
}

/** The snapshot settings the addon keeps (SnapshotSettings), set all at once. */
export interface NativeSettings {
  dir: string;
  name: string;
  threadId: number;
  /** 0 = keep all. */
  keep: number;
  /** Near-heap-limit snapshots, at most this many; 0 = off. */
  heapLimit: number;
  mainThread: boolean;
}

/** The addon's opaque handle for one HeapDiff's first table (native memory). */
export type HeapDiffHandle = object & { readonly __heapDiffHandle: unique symbol };

export interface NativeHeapSummary {
  nodes: number;
  sizeBytes: number;
  /** ms since the epoch, taken just before the snapshot */
  time: number;
}

export interface NativeHeapDiff {
  before: NativeHeapSummary;
  after: NativeHeapSummary;
  freedNodes: number;
  allocatedNodes: number;
  groups: Array<{ what: string; sizeBytes: number; allocated: number; freed: number; retainers?: string[] }>;
}

export type SinkKind = 'snapshot' | 'gc';

/** The addon's functions (native/addon.cc). One instance per load, per environment. */
export interface Binding {
  /** The NODE_MODULE_VERSION it was compiled for. */
  abi(): number;
  facts(): Facts;
  /** True for the first call with `key` from any thread of the process. */
  firstInProcess(key: string): boolean;
  setSink(sink: (kind: SinkKind, payload: unknown) => void): void;
  configure(settings: NativeSettings): void;
  /** '' or why the name template is invalid. */
  checkTemplate(name: string): string;
  /** Whether `name` is one that `template` (a valid one) produces. */
  nameMatches(template: string, name: string): boolean;
  /** Without `path`: a generated name in `dir` ('': the configured one). */
  writeSnapshot(trigger: string, path: string | undefined, dir: string): NativeWriteResult;
  /** One of facts().signals; 0 or a negative libuv error. */
  watchSignal(name: string): number;
  unwatchSignal(): void;
  gc(): void;
  /** Wants records of full GCs ('stats', 'leak') and/or every GC ('gc'); returns whether hooked. */
  gcSetInterest(full: boolean, every: boolean): boolean;
  gcProbe(): void;
  /** An empty HeapDiff state; heapDiffStart() then takes the first snapshot into it. */
  heapDiffCreate(): HeapDiffHandle;
  heapDiffStart(handle: HeapDiffHandle): void;
  heapDiffEnd(handle: HeapDiffHandle, retainers: number): NativeHeapDiff;
}

/** The test build's extra functions (native/test_seams.h): never in the shipped addon. */
export interface TestBinding extends Binding {
  testFakeFreeSpace(dir: string, bytes: number): void;
  testSysRoot(root: string): void;
  testMemoryAvailable(root: string): { machine: number; cgroup: number; cgroupFile: string };
  testFoldStats(gcs: Float64Array): Float64Array;
  testHeapDiffBytes(handle: HeapDiffHandle): number;
  testBareSnapshot(): number;
}

/** The package root: dist/ and src/ both sit one level below it. */
export const packageRoot = join(__dirname, '..');

export const SUPPORTED_NODE =
  '20, 22, 24 and 26 (prebuilt for linux-x64 and linux-arm64 with glibc 2.28+; elsewhere built from source)';

/**
 * Loads the addon: a build from source (build/Release, then build/Debug) if it is for this Node,
 * else the prebuilt binary for this Node's ABI, as node-gyp-build does at install time.
 * HEAPWATCH_TEST_ADDON=1 loads the test build (build/Release/heapwatch_test.node) instead.
 * Throws a HeapwatchError (ERR_HEAPWATCH_NATIVE_LOAD) saying what it tried and what to do.
 */
export function loadBinding(root: string = packageRoot): Binding {
  const abi = Number(process.versions.modules);
  const candidates =
    process.env.HEAPWATCH_TEST_ADDON === '1'
      ? [join(root, 'build', 'Release', 'heapwatch_test.node')]
      : [join(root, 'build', 'Release', 'heapwatch.node'), join(root, 'build', 'Debug', 'heapwatch.node')];
  let found = 0;
  let built = 0;
  try {
    // A build from source left by another Node version must not shadow the prebuild for this one.
    for (const file of [...candidates, prebuildFor(root, abi)]) {
      if (file === undefined || !existsSync(file)) continue;
      const binding = require(file) as Binding;
      found++;
      built = binding.abi();
      if (built === abi) return binding;
    }
    throw new Error(
      found === 0
        ? `No native build was found for ABI ${abi} (no build/ from source, no prebuilt binary)`
        : `the addon was built for ABI ${built} (another Node.js version)`,
    );
  } catch (cause) {
    throw loadError(root, cause);
  }
}

/** The prebuilt binary for `abi` in root/prebuilds, named as prebuildify names it. */
export function prebuildFor(root: string, abi: number): string | undefined {
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const libc = existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return undefined;
  }
  const file = files.find((f) => {
    const tags = f.split('.');
    if (tags.pop() !== 'node' || !tags.includes(`abi${abi}`)) return false;
    return !tags.some((t) => (t === 'glibc' || t === 'musl') && t !== libc);
  });
  return file === undefined ? undefined : join(dir, file);
}

/** Why loading failed, what was tried and what to do, as a HeapwatchError. */
export function loadError(root: string, cause: unknown): HeapwatchError {
  // In the order loadBinding() tries them.
  const tried = [
    join(root, 'build', 'Release'),
    join(root, 'build', 'Debug'),
    join(root, 'prebuilds', `${process.platform}-${process.arch}`),
  ].map((dir) => `  ${dir}${existsSync(dir) ? '' : ' (missing)'}`);
  const error = new HeapwatchError(
    'ERR_HEAPWATCH_NATIVE_LOAD',
    [
      `heapwatch could not load its native addon for Node ${process.version} ` +
        `(${process.platform}-${process.arch}, ABI ${process.versions.modules}).`,
      'Tried:',
      ...tried,
      `Reason: ${(cause as Error)?.message?.split('\n')[0] ?? String(cause)}`,
      'What to do:',
      `  - use a supported Node.js: ${SUPPORTED_NODE};`,
      // The same rule as prebuildFor(): here the glibc binaries in prebuilds/ are passed over.
      ...(existsSync('/etc/alpine-release')
        ? [
            '  - Alpine (musl) has no prebuilt binary: `apk add python3 make g++`, then `npm rebuild heapwatch`;',
          ]
        : []),
      '  - after changing Node versions, if heapwatch was built from source: ' +
        '`npm rebuild heapwatch --build-from-source`;',
      '  - to build from source, install python3, make and a C++20 compiler (g++ 10+ or clang 12+),',
      '    then `npm rebuild heapwatch`.',
    ].join('\n'),
  );
  (error as Error & { cause?: unknown }).cause = cause;
  return error;
}
