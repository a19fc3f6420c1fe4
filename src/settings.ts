// The settings in force: their defaults, and how a validated change merges into them.
import { DEFAULT_LEAK } from './leak-rule.js';
import type { SettingsPatch } from './option-values.js';
import type { Settings } from './types.js';

/** The settings of a process that sets nothing; `defaultName` is the addon's (facts()). */
export function defaultSettings(defaultName: string): Readonly<Settings> {
  return Object.freeze({
    signal: true,
    signalName: 'SIGUSR2',
    dir: '',
    name: defaultName,
    keep: false,
    heapLimit: false,
    snapshotOnLeak: false,
    leak: DEFAULT_LEAK,
  });
}

/** The settings after a change: nested `leak` settings are merged, not replaced. */
export function mergeSettings(base: Readonly<Settings>, patch: SettingsPatch): Settings {
  return { ...base, ...patch, leak: { ...base.leak, ...patch.leak } };
}
