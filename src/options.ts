// Settings: NODE_HEAPDUMP_OPTIONS and configure() parse into the same shape, validated here only.
import { argumentError, type HeapwatchError, invalidArg } from './errors.js';
import { DEFAULT_LEAK_SNAPSHOT } from './leak-snapshot.js';
import { templateProblem } from './naming.js';
import { DEFAULT_LEAK, type LeakSettings, MEMWATCH_LEAK, type Settings } from './settings.js';
import { snapshotSignal, snapshotSignalList } from './signals.js';

/** Named leak rules: `'memwatch'` is memwatch-next's exactly, `'default'` heapwatch's. */
export const LEAK_PRESETS: Readonly<Record<string, Readonly<LeakSettings>>> = Object.freeze({
  default: DEFAULT_LEAK,
  memwatch: MEMWATCH_LEAK,
});

/** What configure() accepts. */
export interface ConfigureOptions {
  /** true/false, or the name of the signal to use instead of SIGUSR2 (which turns it on). */
  signal?: boolean | string;
  /** Directory for the snapshots heapwatch names itself; created 0700; relative to cwd now. */
  dir?: string;
  /** Name template: {pid} {tid} {seq} {date} {trigger} {sec} {usec}. */
  name?: string;
  /** Keep at most N of heapwatch's own snapshots per directory; false = keep all. */
  keep?: number | false;
  /** Snapshot near the heap limit; `max` defaults to 1. */
  heapLimit?: boolean | { max?: number };
  /** Snapshot on 'leak'; `cooldown` (ms, or '10m', '30s', ...) defaults to 10 minutes, `max` to 3. */
  snapshotOnLeak?: boolean | { cooldown?: number | string; max?: number };
  /** When a run of growing full GCs is reported as `'leak'`; or a preset's name. */
  leak?: Partial<LeakSettings> | 'memwatch' | 'default';
}

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

// A `key=value` item: the value is required and checked by the same rule as configure()'s key.
function valued(
  check: (value: string, name: string, into: SettingsPatch) => SettingsPatch,
  name: string,
): EnvItem {
  return (value, into) => {
    if (value === undefined || value === '') throw new Error(`needs a value (${name}=...)`);
    Object.assign(into, check(value, name, into));
  };
}

const ENV_ITEMS: Record<string, EnvItem> = {
  // `signal` turns the handler on; `signal=SIGHUP` also chooses the signal.
  signal: (value, into) => {
    Object.assign(into, value === undefined ? { signal: true } : checkSignal(value, 'signal'));
  },
  nosignal: flag((into) => {
    into.signal = false;
  }),
  fork: forkNotice,
  nofork: forkNotice,
  dir: valued(checkDir, 'dir'),
  name: valued(checkName, 'name'),
  keep: valued((v, name) => ({ keep: envInteger(v, name) }), 'keep'),
  // oom: near-heap-limit snapshots (one); oommax=N: up to N (implies oom).
  oom: flag((into) => {
    into.heapLimit = { max: into.heapLimit ? into.heapLimit.max : 1 };
  }),
  oommax: valued((v, name) => ({ heapLimit: { max: envInteger(v, name) } }), 'oommax'),
  // leak: a snapshot on 'leak'; leakmax=N and leakcooldown=10m tune it (and imply leak).
  // leak=memwatch|default: the leak rule's preset (issue 3); leakgcs=5, leakmingrowth=1048576
  // (bytes), leakminduration=5000 (ms), leakprobe / noleakprobe tune the rule.
  leak: (value, into) => {
    if (value === undefined) {
      into.snapshotOnLeak = { ...DEFAULT_LEAK_SNAPSHOT, ...into.snapshotOnLeak };
      return;
    }
    const preset = Object.hasOwn(LEAK_PRESETS, value) ? LEAK_PRESETS[value] : undefined;
    if (preset === undefined) {
      throw new Error(
        `expected no value (snapshot on leak) or one of ${Object.keys(LEAK_PRESETS).join(', ')} (the leak rule)`,
      );
    }
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
  leakmax: valued(
    (v, name, into) => ({
      snapshotOnLeak: {
        ...DEFAULT_LEAK_SNAPSHOT,
        ...into.snapshotOnLeak,
        max: envInteger(v, name),
      },
    }),
    'leakmax',
  ),
  leakcooldown: valued(
    (v, name, into) => ({
      snapshotOnLeak: { ...DEFAULT_LEAK_SNAPSHOT, ...into.snapshotOnLeak, cooldown: duration(v, name) },
    }),
    'leakcooldown',
  ),
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

// The rules for each value, shared by configure() and NODE_HEAPDUMP_OPTIONS. Each takes the value
// and the name to blame ("options.keep" or "keep") and returns what to change, or throws.

/** A whole number from 1, from an env item's text (the error quotes the text as given). */
function envInteger(text: string, name: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw invalidArg(name, 'a whole number from 1', text);
  return value;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalidArg(name, 'a whole number from 1', value);
  }
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds: a number, or text like '500ms', '30s', '10m', '1h' (bare digits are ms). */
function duration(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim()) : null;
  if (m === null) throw invalidArg(name, "a duration (milliseconds, or '500ms', '30s', '10m', '1h')", value);
  return Number(m[1]) * (UNITS[m[2] ?? 'ms'] as number);
}

function checkSignal(value: unknown, name: string): SettingsPatch {
  if (typeof value === 'boolean') return { signal: value };
  const expected = `a boolean or one of ${snapshotSignalList()}`;
  if (typeof value !== 'string') throw invalidArg(name, expected, value);
  try {
    return { signal: true, signalName: snapshotSignal(value) };
  } catch (error) {
    throw invalidArg(name, expected, value, (error as Error).message);
  }
}

function checkDir(value: unknown, name: string): SettingsPatch {
  if (typeof value !== 'string' || value.includes('\0')) {
    throw invalidArg(name, 'a directory path (string without NUL bytes)', value);
  }
  return { dir: value };
}

function checkName(value: unknown, name: string): SettingsPatch {
  const expected = 'a file name template with {pid} {tid} {seq} {date} {trigger} {sec} {usec}';
  if (typeof value !== 'string') throw invalidArg(name, expected, value);
  const problem = templateProblem(value);
  if (problem) throw invalidArg(name, expected, value, `the template ${problem}`);
  return { name: value };
}

/** An object with only `known` keys (for nested options); throws naming the stray one. */
function plainObject(value: object, name: string, known: string[]): Record<string, unknown> {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw argumentError(`Unknown option \`${key}\` in \`${name}\`; known options: ${known.join(', ')}`);
    }
  }
  return value as Record<string, unknown>;
}

// Each check throws HeapwatchError naming the option, or returns the value to store.
type Check = (value: unknown, name: string) => unknown;

function unknownKey(key: string, where: string, known: readonly string[]): HeapwatchError {
  const hint = suggest(key, known);
  return argumentError(
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

const CONFIG_KEYS: Record<keyof ConfigureOptions, (value: unknown, name: string) => SettingsPatch> = {
  signal: checkSignal,
  dir: checkDir,
  name: checkName,
  keep: (value, name) => {
    if (value === false) return { keep: false };
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw invalidArg(name, 'a whole number from 1, or false', value);
    }
    return { keep: value };
  },
  heapLimit: (value, name) => {
    if (typeof value === 'boolean') return { heapLimit: value ? { max: 1 } : false };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidArg(name, 'a boolean or { max }', value);
    }
    const { max } = plainObject(value, name, ['max']);
    return { heapLimit: { max: max === undefined ? 1 : positiveInteger(max, `${name}.max`) } };
  },
  snapshotOnLeak: (value, name) => {
    if (typeof value === 'boolean') return { snapshotOnLeak: value ? { ...DEFAULT_LEAK_SNAPSHOT } : false };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidArg(name, 'a boolean or { cooldown, max }', value);
    }
    const { cooldown, max } = plainObject(value, name, ['cooldown', 'max']);
    return {
      snapshotOnLeak: {
        cooldown:
          cooldown === undefined ? DEFAULT_LEAK_SNAPSHOT.cooldown : duration(cooldown, `${name}.cooldown`),
        max: max === undefined ? DEFAULT_LEAK_SNAPSHOT.max : positiveInteger(max, `${name}.max`),
      },
    };
  },
  leak: (value, name) => ({ leak: checkLeak(value, name) }),
};

/** Validates configure()'s argument; throws HeapwatchError naming the first bad option. */
export function validateConfigure(options: unknown): SettingsPatch {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArg('options', 'an object', options);
  }
  const out: SettingsPatch = {};
  for (const [key, value] of Object.entries(options)) {
    const check = Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key as keyof ConfigureOptions] : undefined;
    if (check === undefined) throw unknownKey(key, 'options', Object.keys(CONFIG_KEYS));
    if (value === undefined) continue;
    Object.assign(out, check(value, `options.${key}`));
  }
  return out;
}
