// The exported object: memwatch's EventEmitter, with heapdump's writeSnapshot, memwatch's gc()
// and HeapDiff, and the modern API, over one binding. One per environment (index.cts).
import { EventEmitter } from 'node:events';
import type { Binding, NativeWriteResult } from './binding.js';
import { HeapwatchError } from './errors.js';
import { GcEvents } from './gc-events.js';
import { createHeapDiff } from './heap-diff.js';
import { LeakSnapshots } from './leak-snapshot.js';
import type { RuleContext } from './option-values.js';
import { parseEnvOptions, validateConfigure } from './options.js';
import { StatusFile } from './process-status.js';
import { defaultSettings, mergeSettings } from './settings.js';
import { snapshot, toSnapshotEvent, writeSnapshot } from './snapshot.js';
import { ensureDir } from './snapshot-dir.js';
import type {
  ConfigureOptions,
  HeapDiffConstructor,
  Heapwatch as HeapwatchApi,
  Settings,
  SnapshotInfo,
  SnapshotOptions,
} from './types.js';

/** What heapwatch needs to know of the environment it runs in. */
export interface Host {
  isMainThread: boolean;
  threadId: number;
  /** NODE_HEAPDUMP_OPTIONS as the process has it. */
  envOptions: string | undefined;
  /** One line to stderr. */
  warn: (line: string) => void;
}

export class Heapwatch extends EventEmitter implements HeapwatchApi {
  declare readonly HeapDiff: HeapDiffConstructor;
  declare readonly HeapwatchError: typeof HeapwatchError;
  readonly #binding: Binding;
  readonly #host: Host;
  readonly #ctx: RuleContext;
  readonly #gcEvents: GcEvents;
  readonly #leakSnapshots: LeakSnapshots;
  readonly #status = new StatusFile();
  #settings: Readonly<Settings>;

  constructor(binding: Binding, host: Host) {
    super();
    // memwatch's users write `import * as memwatch from 'memwatch-next'`, which under
    // esModuleInterop copies only own properties: every method is also an own, bound one,
    // enumerable because Babel's and older TypeScript's interop helpers copy with for...in.
    for (const proto of [EventEmitter.prototype, Heapwatch.prototype]) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        const value = (proto as unknown as Record<string, unknown>)[key];
        if (key === 'constructor' || typeof value !== 'function') continue;
        Object.defineProperty(this, key, {
          value: value.bind(this),
          writable: true,
          configurable: true,
          enumerable: true,
        });
      }
    }
    const facts = binding.facts();
    this.#binding = binding;
    this.#host = host;
    this.#ctx = {
      checkTemplate: (name) => binding.checkTemplate(name),
      signals: facts.signals,
      placeholders: facts.placeholders,
    };
    const defaults = defaultSettings(facts.defaultName);
    this.#settings = { ...defaults, signal: false }; // nothing is installed yet
    this.#gcEvents = new GcEvents(this, binding, facts.gc, () => this.#settings.leak);
    this.#leakSnapshots = new LeakSnapshots(this, () =>
      toSnapshotEvent(binding.writeSnapshot('leak', undefined, '')),
    );
    binding.setSink((kind, payload) => {
      if (kind === 'gc') {
        this.#gcEvents.onRecords(payload as Float64Array);
        return;
      }
      for (const r of payload as NativeWriteResult[]) {
        const event = toSnapshotEvent(r);
        if (r.trigger === 'signal') {
          const at = Date.now();
          this.#status.signalled(
            'error' in event
              ? { error: { code: event.error.code, message: event.error.message }, at }
              : { path: event.path, at },
          );
        }
        this.emit('snapshot', event);
      }
    });
    Object.defineProperty(this, 'HeapDiff', { value: createHeapDiff(binding), enumerable: true });
    Object.defineProperty(this, 'HeapwatchError', { value: HeapwatchError, enumerable: false });
    Object.defineProperty(this, 'settings', { get: () => ({ ...this.#settings }), enumerable: false });
    this.#applyEnvironment(defaults);
  }

  writeSnapshot(filename?: unknown, callback?: unknown): boolean {
    return writeSnapshot(this.#binding, filename, callback);
  }

  snapshot(options?: SnapshotOptions): Promise<SnapshotInfo> {
    return snapshot(this.#binding, options);
  }

  configure(options: ConfigureOptions): void {
    this.#apply(mergeSettings(this.#settings, validateConfigure(options, this.#ctx)));
  }

  gc(): void {
    this.#binding.gc();
  }

  declare readonly settings: Readonly<Settings>;

  // NODE_HEAPDUMP_OPTIONS is process-wide: its notices are printed by the first environment that
  // reads it, not again by each worker (a worker given another value gets its own).
  #applyEnvironment(defaults: Readonly<Settings>): void {
    const text = this.#host.envOptions ?? '';
    const warn = this.#binding.firstInProcess(`NODE_HEAPDUMP_OPTIONS=${text}`) ? this.#host.warn : () => {};
    const fromEnv = parseEnvOptions(text, warn, this.#ctx);
    const wanted = mergeSettings(defaults, fromEnv);
    try {
      this.#apply(wanted);
    } catch (error) {
      // Only the directory can fail: say so, and write to the current directory instead.
      warn(
        `heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "dir=${fromEnv.dir}": ${(error as Error).message}`,
      );
      this.#apply({ ...wanted, dir: '' });
    }
  }

  // All or nothing: the directory is the one step that can fail, and it comes first.
  #apply(wanted: Settings): void {
    const next = { ...wanted, dir: ensureDir(wanted.dir) };
    const prev = this.#settings;
    const signalChanged = next.signal !== prev.signal || (next.signal && next.signalName !== prev.signalName);
    // The signal is process-wide: only the main thread answers it.
    if (this.#host.isMainThread && signalChanged) {
      if (!next.signal) {
        this.#binding.unwatchSignal();
      } else {
        const err = this.#binding.watchSignal(next.signalName);
        if (err !== 0) this.#host.warn(`heapwatch: could not watch ${next.signalName} (libuv error ${err})`);
      }
    }
    this.#binding.configure({
      dir: next.dir,
      name: next.name,
      threadId: this.#host.threadId,
      keep: next.keep === false ? 0 : next.keep,
      heapLimit: next.heapLimit === false ? 0 : next.heapLimit.max,
      mainThread: this.#host.isMainThread,
    });
    if (JSON.stringify(prev.snapshotOnLeak) !== JSON.stringify(next.snapshotOnLeak)) {
      this.#leakSnapshots.apply(next.snapshotOnLeak);
    }
    this.#settings = next;
    this.#gcEvents.update();
    if (this.#host.isMainThread) {
      this.#status.publish({ signal: next.signal ? next.signalName : null, dir: next.dir, name: next.name });
    }
  }
}
