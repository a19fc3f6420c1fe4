// configure() and NODE_HEAPDUMP_OPTIONS read into the same settings, by the same rules: each
// setting's module gives its items and keys (option-values.ts says how), and this runs them.

import { invalidArg } from './errors.js';
import { heapLimitRules } from './heap-limit.js';
import { leakRules } from './leak-rule.js';
import { leakSnapshotRules } from './leak-snapshot.js';
import {
  type ConfigKey,
  type EnvItem,
  isObject,
  type OptionRules,
  type RuleContext,
  type SettingsPatch,
  suggest,
  unknownKey,
  type Warn,
} from './option-values.js';
import { retentionRules } from './retention.js';
import { signalRules } from './signals.js';
import { snapshotDirRules } from './snapshot-dir.js';

// heapdump's fork mode died with Node 0.12: accepted, with a notice.
const forkNotice: EnvItem = (value, _into, warn) => {
  if (value !== undefined) throw new Error('takes no value');
  warn(
    'heapwatch: NODE_HEAPDUMP_OPTIONS fork/nofork is accepted for compatibility; snapshots are always written in-process',
  );
};
const compatRules: OptionRules = { env: { fork: forkNotice, nofork: forkNotice }, configure: {} };

const RULES = [
  signalRules,
  snapshotDirRules,
  retentionRules,
  heapLimitRules,
  leakSnapshotRules,
  leakRules,
  compatRules,
];
const ENV_ITEMS: Record<string, EnvItem> = Object.assign({}, ...RULES.map((r) => r.env));
const CONFIG_KEYS: Record<string, ConfigKey> = Object.assign({}, ...RULES.map((r) => r.configure));

/**
 * Parses NODE_HEAPDUMP_OPTIONS: a comma-separated list, blanks around items ignored, later items
 * win. Never throws: an unknown or invalid item is named in one line through `warn` and ignored.
 */
export function parseEnvOptions(text: string | undefined, warn: Warn, ctx: RuleContext): SettingsPatch {
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
      handler(value, into, warn, ctx);
    } catch (error) {
      warn(`heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "${item}": ${(error as Error).message}`);
    }
  }
  return into;
}

/** Validates configure()'s argument; throws a HeapwatchError naming the first bad option. */
export function validateConfigure(options: unknown, ctx: RuleContext): SettingsPatch {
  if (!isObject(options)) throw invalidArg('options', 'an object', options);
  const out: SettingsPatch = {};
  for (const [key, value] of Object.entries(options)) {
    const check = Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key] : undefined;
    if (check === undefined) throw unknownKey(key, 'options', Object.keys(CONFIG_KEYS));
    if (value !== undefined) Object.assign(out, check(value, `options.${key}`, ctx));
  }
  return out;
}
