// The only module that loads the addon. Everything else receives a Binding.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GcBinding } from './gc-events.js';
import type { HeapDiffBinding } from './heap-diff.js';
import type { ProbeBinding } from './leak-watch.js';

/** What the addon reports for a snapshot write; `errno` 0 means success. */
export interface NativeWriteResult {
  path: string;
  bytes: number;
  durationMs: number;
  errno: number;
  syscall: string;
  /** When the disk guard refused (ENOSPC, syscall 'statfs') or a heap-limit snapshot was skipped
   * (ENOMEM, syscall 'heap-limit'): bytes needed and available. */
  needed?: number;
  free?: number;
}

/** A snapshot heapwatch wrote on its own (signal, ...), as the addon queues it. */
export interface NativeSnapshotEvent extends NativeWriteResult {
  trigger: string;
}

export type SinkKind = 'snapshot' | 'gc' | (string & {});

/** The names of the codes in the addon's GC records. */
export interface GcNames {
  types: string[];
  flags: string[];
}

/**
 * What the addon offers when loaded (native/addon.cc): what loading heapwatch and its GC events
 * use. One instance per load, per environment.
 */
export interface CoreBinding extends GcBinding {
  /** Whether this environment is the main thread's (not a worker's). */
  isMainThread(): boolean;
  setSink(sink: (kind: SinkKind, payload: unknown) => void): void;
  /** `ledger`: retention is on, so generated files are listed in the directory's ledger. */
  configureNaming(dir: string, template: string, threadId: number, ledger: boolean): void;
  /** One of the snapshot signals by name (signals.ts); 0 or a negative libuv error. */
  watchSignal(name: string): number;
  unwatchSignal(): void;
  gc(): void;
  /** The NODE_MODULE_VERSION the addon was compiled for. */
  abi(): number;
  /** True for the first call with `key` from any thread of the process. */
  firstInProcess(key: string): boolean;
  /** Adds the rest of the functions to this same object (once) and returns it. */
  more(): Binding;
}

/** The addon's whole surface, once more() has run. */
export interface Binding extends CoreBinding, HeapDiffBinding, ProbeBinding {
  nextPath(trigger: string): string;
  /** `record`: heapwatch generated the name; the file goes into the directory's ledger (retention). */
  writeSnapshot(path: string, trigger: string, record?: boolean): NativeWriteResult;
  /** The disk guard's verdict for a snapshot into `dir` now. */
  diskCheck(dir: string): { ok: boolean; needed: number; free: number };
  /** Near-heap-limit snapshots: at most `max`; 0 turns them off. Returns how many were written. */
  heapLimit(max: number, mainThread: boolean): number;
  /** Memory the machine and the memory cgroup can still give (bytes, -1 unknown/unlimited). */
  memoryAvailable(root: string): { machine: number; cgroup: number; cgroupFile: string };
  /** Test seam: the disk guard sees `bytes` free in `dir` (negative: forget). Process-wide. */
  testFakeFreeSpace(dir: string, bytes: number): void;
  /** Test seam: the near-heap-limit callback reads /proc and /sys under `root`. */
  testSysRoot(root: string): void;
  /** Tests only: native/gc_monitor.cc's FoldStats over [n, current, ...] pairs from a fresh state;
   * four numbers per GC: estimated_base, usage_trend, min, max. */
  testFoldStats(gcs: Float64Array): Float64Array;
}

/**
 * The package root: dist/ and src/ both sit one level below it. Not normalized (require() and
 * join() do that): loading heapwatch compiles no path function that Node's loader does not use.
 */
export const packageRoot = `${__dirname}/..`;

/**
 * Loads the addon: a build from source (build/Release, then build/Debug) if it is for this Node,
 * else the prebuilt binary for this Node's ABI. node-gyp-build does the same at install time;
 * at run time this lookup is all it would do, and loading it would keep ~70 KB of heap alive.
 * On failure throws what `explain` makes of the cause (heapwatch passes load-error.ts's).
 */
export function loadBinding(
  root: string = packageRoot,
  explain: (root: string, cause: unknown) => Error = (_, cause) => cause as Error,
): CoreBinding {
  const abi = Number(process.versions.modules);
  let found = 0;
  let built = 0;
  try {
    // A build from source left by another Node version must not shadow the prebuild for this one;
    // the prebuilds are listed only when no build from source is for this Node.
    for (const from of ['Release', 'Debug', 'prebuilds']) {
      const file = from === 'prebuilds' ? prebuildFor(root, abi) : `${root}/build/${from}/heapwatch.node`;
      if (file === undefined) continue;
      let binding: CoreBinding;
      try {
        binding = require(file) as CoreBinding;
      } catch (error) {
        // Not there: the next place. (A file that is there but does not load is the error.)
        if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') continue;
        throw error;
      }
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
    throw explain(root, cause);
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
