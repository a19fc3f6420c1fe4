// Settings: NODE_HEAPDUMP_OPTIONS and configure() parse into the same shape, validated here only.
import { HeapwatchError, invalidArg } from './errors.js';

/** Everything configure() and NODE_HEAPDUMP_OPTIONS can set. */
export interface Settings {
  /** Write a snapshot on SIGUSR2 (main thread only). */
  signal: boolean;
  /** Directory for the snapshots heapwatch names itself; '' = the current directory at write time. */
  dir: string;
  /** File name template for the snapshots heapwatch names itself. */
  name: string;
}

export const DEFAULT_NAME = 'heapdump-{sec}.{usec}.heapsnapshot';

export const DEFAULTS: Readonly<Settings> = Object.freeze({
  signal: true,
  dir: '',
  name: DEFAULT_NAME,
});

/** What configure() accepts: any subset of the settings. */
export type ConfigureOptions = Partial<Settings>;

type Warn = (line: string) => void;

// One handler per NODE_HEAPDUMP_OPTIONS item. `value` is what follows "=" (undefined without one).
// A handler throws an Error whose message says what is wrong; the item is then ignored.
type EnvItem = (value: string | undefined, into: Partial<Settings>, warn: Warn) => void;

function flag(apply: (into: Partial<Settings>) => void): EnvItem {
  return (value, into) => {
    if (value !== undefined) throw new Error('takes no value');
    apply(into);
  };
}

const forkNotice: EnvItem = (value, _into, warn) => {
  if (value !== undefined) throw new Error('takes no value');
  warn(
    'heapwatch: NODE_HEAPDUMP_OPTIONS fork/nofork is accepted for compatibility; snapshots are always written in-process',
  );
};

const ENV_ITEMS: Record<string, EnvItem> = {
  signal: flag((into) => {
    into.signal = true;
  }),
  nosignal: flag((into) => {
    into.signal = false;
  }),
  fork: forkNotice,
  nofork: forkNotice,
};

/** The closest known name, for "did you mean" hints; '' when nothing is close. */
export function suggest(name: string, known: readonly string[]): string {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j] as number;
        const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
        row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + cost);
        prev = cur;
      }
    }
    return row[b.length] as number;
  };
  let best = '';
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Parses NODE_HEAPDUMP_OPTIONS: a comma-separated list, blanks around items ignored, later items
 * win. Never throws: an unknown or invalid item is named in one line through `warn` and ignored.
 */
export function parseEnvOptions(text: string | undefined, warn: Warn): Partial<Settings> {
  const into: Partial<Settings> = {};
  for (const raw of (text ?? '').split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : item.slice(eq + 1).trim();
    const handler = Object.hasOwn(ENV_ITEMS, key) ? ENV_ITEMS[key] : undefined;
    if (handler === undefined) {
      const hint = suggest(key, Object.keys(ENV_ITEMS));
      warn(
        `heapwatch: ignoring unknown NODE_HEAPDUMP_OPTIONS item "${item}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
      );
      continue;
    }
    try {
      handler(value, into, warn);
    } catch (error) {
      warn(`heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "${item}": ${(error as Error).message}`);
    }
  }
  return into;
}

const CONFIG_KEYS: Record<keyof Settings, (value: unknown, name: string) => void> = {
  signal: (value, name) => {
    if (typeof value !== 'boolean') throw invalidArg(name, 'a boolean', value);
  },
  dir: (value, name) => {
    if (typeof value !== 'string' || value.includes('\0')) {
      throw invalidArg(name, 'a directory path (string without NUL bytes)', value);
    }
  },
  name: (value, name) => {
    if (typeof value !== 'string' || value === '' || value.includes('/') || value.includes('\0')) {
      throw invalidArg(name, 'a file name template (non-empty string, no "/" or NUL)', value);
    }
  },
};

/** Validates configure()'s argument; throws HeapwatchError naming the first bad option. */
export function validateConfigure(options: unknown): Partial<Settings> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArg('options', 'an object', options);
  }
  const out: Partial<Settings> = {};
  for (const [key, value] of Object.entries(options)) {
    const check = Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key as keyof Settings] : undefined;
    if (check === undefined) {
      const hint = suggest(key, Object.keys(CONFIG_KEYS));
      throw new HeapwatchError(
        'ERR_HEAPWATCH_INVALID_ARG',
        `Unknown option \`${key}\` in \`options\`${hint ? ` (misspelled "${key}" should be "${hint}")` : ''}; ` +
          `known options: ${Object.keys(CONFIG_KEYS).join(', ')}`,
      );
    }
    if (value === undefined) continue;
    check(value, `options.${key}`);
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
