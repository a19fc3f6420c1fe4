// The shape of an option rule, and the value parsers the rules share. Each setting's module
// (signals.ts, snapshot-dir.ts, retention.ts, heap-limit.ts, leak-snapshot.ts, leak-rule.ts)
// gives its NODE_HEAPDUMP_OPTIONS items and configure() keys; options.ts runs them.
import { argumentError, type HeapwatchError, invalidArg } from './errors.js';
import type { ConfigureOptions, LeakSettings, Settings } from './types.js';

/** A validated change to the settings: what configure() and NODE_HEAPDUMP_OPTIONS produce. */
export type SettingsPatch = Partial<Omit<Settings, 'leak'>> & { leak?: Partial<LeakSettings> };

export type Warn = (line: string) => void;

/** What rules may ask of the addon. */
export interface RuleContext {
  /** '' or why a name template is invalid (native/snapshot_names.h). */
  checkTemplate(name: string): string;
  /** The snapshot signals this platform has. */
  signals: readonly string[];
  /** The name template's placeholders, space-separated (native/snapshot_names.h). */
  placeholders: string;
}

/**
 * One NODE_HEAPDUMP_OPTIONS item. `value` is what follows "=" (undefined without one). Throws an
 * Error whose message says what is wrong; the item is then ignored.
 */
export type EnvItem = (value: string | undefined, into: SettingsPatch, warn: Warn, ctx: RuleContext) => void;

/** One configure() key: what to change, or a thrown HeapwatchError naming the option. */
export type ConfigKey = (value: unknown, name: string, ctx: RuleContext) => SettingsPatch;

export interface OptionRules {
  env: Record<string, EnvItem>;
  configure: Partial<Record<keyof ConfigureOptions, ConfigKey>>;
}

/** An item without a value (`nosignal`). */
export function flag(apply: (into: SettingsPatch) => void): EnvItem {
  return (value, into) => {
    if (value !== undefined) throw new Error('takes no value');
    apply(into);
  };
}

/** A `key=value` item: the value is required, then checked by the same rule as configure()'s. */
export function valued(
  name: string,
  check: (text: string, into: SettingsPatch, ctx: RuleContext) => SettingsPatch,
): EnvItem {
  return (value, into, _warn, ctx) => {
    if (value === undefined || value === '') throw new Error(`needs a value (${name}=...)`);
    Object.assign(into, check(value, into, ctx));
  };
}

/** A whole number from `min` to `max`: the range is what the addon can hold and a user can mean. */
export function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArg(name, `a whole number from ${min} to ${max}`, value);
  }
  return value;
}

/** The same, from an env item's text (the error quotes the text as given). */
export function envWholeNumber(text: string, name: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArg(name, `a whole number from ${min} to ${max}`, text);
  }
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest duration any setting takes: a year. */
export const MAX_DURATION_MS = 365 * 24 * 3_600_000;

/** Milliseconds: a number, or text like '500ms', '30s', '10m', '1h' (bare digits are ms). */
export function duration(value: unknown, name: string): number {
  const expected = `a duration up to a year (milliseconds, or '500ms', '30s', '10m', '1h')`;
  let ms = Number.NaN;
  if (typeof value === 'number') ms = value;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim()) : null;
  if (m !== null) ms = Number(m[1]) * (UNITS[m[2] ?? 'ms'] as number);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DURATION_MS) throw invalidArg(name, expected, value);
  return ms;
}

/** An object with only `known` keys (for nested options); throws naming the stray one. */
export function plainObject(value: object, name: string, known: string[]): Record<string, unknown> {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw unknownKey(key, name, known);
  }
  return value as Record<string, unknown>;
}

export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The error for an unknown key, with a hint when it is close to a known one. */
export function unknownKey(key: string, where: string, known: readonly string[]): HeapwatchError {
  const hint = suggest(key, known);
  return argumentError(
    `Unknown option \`${key}\` in \`${where}\`${hint ? ` (misspelled "${key}" should be "${hint}")` : ''}; ` +
      `known options: ${known.join(', ')}`,
  );
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
