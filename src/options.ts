// Settings: NODE_HEAPDUMP_OPTIONS and configure() parse into the same shape, validated here only.
import { HeapwatchError, invalidArg } from './errors.js';
import { DEFAULT_LEAK, type LeakSettings, MEMWATCH_LEAK } from './gc-stats.js';

/** Everything configure() and NODE_HEAPDUMP_OPTIONS can set. */
export interface Settings {
  /** Write a snapshot on SIGUSR2 (main thread only). */
  signal: boolean;
  /** Directory for the snapshots heapwatch names itself; '' = the current directory at write time. */
  dir: string;
  /** File name template for the snapshots heapwatch names itself. */
  name: string;
  /** When a run of growing full GCs is reported as `'leak'`. */
  leak: LeakSettings;
}

export const DEFAULT_NAME = 'heapdump-{sec}.{usec}.heapsnapshot';

export const DEFAULTS: Readonly<Settings> = Object.freeze({
  signal: true,
  dir: '',
  name: DEFAULT_NAME,
  leak: DEFAULT_LEAK,
});

/** Named leak rules: `'memwatch'` is memwatch-next's exactly, `'default'` heapwatch's. */
export const LEAK_PRESETS: Readonly<Record<string, Readonly<LeakSettings>>> = Object.freeze({
  default: DEFAULT_LEAK,
  memwatch: MEMWATCH_LEAK,
});

/** What configure() accepts: any subset of the settings; `leak` may also be a preset's name. */
export type ConfigureOptions = Partial<Omit<Settings, 'leak'>> & {
  leak?: Partial<LeakSettings> | 'memwatch' | 'default';
};

/** A validated change to the settings: what configure() and NODE_HEAPDUMP_OPTIONS produce. */
export type SettingsPatch = Partial<Omit<Settings, 'leak'>> & { leak?: Partial<LeakSettings> };

/** The settings after a change: nested `leak` settings are merged, not replaced. */
export function mergeSettings(base: Readonly<Settings>, patch: SettingsPatch): Settings {
  return { ...base, ...patch, leak: { ...base.leak, ...patch.leak } };
}

type Warn = (line: string) => void;

// One handler per NODE_HEAPDUMP_OPTIONS item. `value` is what follows "=" (undefined without one).
// A handler throws an Error whose message says what is wrong; the item is then ignored.
type EnvItem = (value: string | undefined, into: SettingsPatch, warn: Warn) => void;

function flag(apply: (into: SettingsPatch) => void): EnvItem {
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
  // leak=memwatch|default, leakgcs=5, leakmingrowth=1048576 (bytes), leakminduration=5000 (ms),
  // leakprobe / noleakprobe.
  leak: (value, into) => {
    const preset =
      value !== undefined && Object.hasOwn(LEAK_PRESETS, value) ? LEAK_PRESETS[value] : undefined;
    if (preset === undefined) throw new Error(`expected one of ${Object.keys(LEAK_PRESETS).join(', ')}`);
    into.leak = { ...into.leak, ...preset };
  },
  leakgcs: envNumber('consecutiveGcs', 'leakgcs'),
  leakmingrowth: envNumber('minGrowth', 'leakmingrowth'),
  leakminduration: envNumber('minDuration', 'leakminduration'),
  leakprobe: flag((into) => {
    into.leak = { ...into.leak, probe: true };
  }),
  noleakprobe: flag((into) => {
    into.leak = { ...into.leak, probe: false };
  }),
};

function envNumber(key: 'consecutiveGcs' | 'minGrowth' | 'minDuration', item: string): EnvItem {
  return (value, into) => {
    if (value === undefined || !/^\d+$/.test(value)) throw new Error('expected a whole number');
    const checked = LEAK_KEYS[key](Number(value), item);
    into.leak = { ...into.leak, [key]: checked };
  };
}

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
export function parseEnvOptions(text: string | undefined, warn: Warn): SettingsPatch {
  const into: SettingsPatch = {};
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

// Each check throws HeapwatchError naming the option, or returns the value to store.
type Check = (value: unknown, name: string) => unknown;

function unknownKey(key: string, where: string, known: readonly string[]): HeapwatchError {
  const hint = suggest(key, known);
  return new HeapwatchError(
    'ERR_HEAPWATCH_INVALID_ARG',
    `Unknown option \`${key}\` in \`${where}\`${hint ? ` (misspelled "${key}" should be "${hint}")` : ''}; ` +
      `known options: ${known.join(', ')}`,
  );
}

const LEAK_KEYS: Record<keyof LeakSettings, Check> = {
  consecutiveGcs: (value, name) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
      throw invalidArg(name, 'a whole number of GCs from 1 to 1000', value);
    }
    return value;
  },
  minGrowth: (value, name) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidArg(name, 'a number of bytes >= 0', value);
    }
    return value;
  },
  minDuration: (value, name) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidArg(name, 'a number of milliseconds >= 0', value);
    }
    return value;
  },
  probe: (value, name) => {
    if (typeof value !== 'boolean') throw invalidArg(name, 'a boolean', value);
    return value;
  },
};

function checkLeak(value: unknown, name: string): Partial<LeakSettings> {
  if (typeof value === 'string' && Object.hasOwn(LEAK_PRESETS, value)) {
    return { ...(LEAK_PRESETS[value] as LeakSettings) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArg(
      name,
      `an object of leak settings or one of ${Object.keys(LEAK_PRESETS).join(', ')}`,
      value,
    );
  }
  const out: Partial<LeakSettings> = {};
  for (const [key, item] of Object.entries(value)) {
    const check = Object.hasOwn(LEAK_KEYS, key) ? LEAK_KEYS[key as keyof LeakSettings] : undefined;
    if (check === undefined) throw unknownKey(key, name, Object.keys(LEAK_KEYS));
    if (item === undefined) continue;
    (out as Record<string, unknown>)[key] = check(item, `${name}.${key}`);
  }
  return out;
}

const CONFIG_KEYS: Record<keyof Settings, Check> = {
  signal: (value, name) => {
    if (typeof value !== 'boolean') throw invalidArg(name, 'a boolean', value);
    return value;
  },
  dir: (value, name) => {
    if (typeof value !== 'string' || value.includes('\0')) {
      throw invalidArg(name, 'a directory path (string without NUL bytes)', value);
    }
    return value;
  },
  name: (value, name) => {
    if (typeof value !== 'string' || value === '' || value.includes('/') || value.includes('\0')) {
      throw invalidArg(name, 'a file name template (non-empty string, no "/" or NUL)', value);
    }
    return value;
  },
  leak: checkLeak,
};

/** Validates configure()'s argument; throws HeapwatchError naming the first bad option. */
export function validateConfigure(options: unknown): SettingsPatch {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArg('options', 'an object', options);
  }
  const out: SettingsPatch = {};
  for (const [key, value] of Object.entries(options)) {
    const check = Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key as keyof Settings] : undefined;
    if (check === undefined) throw unknownKey(key, 'options', Object.keys(CONFIG_KEYS));
    if (value === undefined) continue;
    (out as Record<string, unknown>)[key] = check(value, `options.${key}`);
  }
  return out;
}
