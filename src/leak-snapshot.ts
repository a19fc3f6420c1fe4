// `snapshotOnLeak`: a snapshot when 'leak' fires, at most once per cooldown and `max` times.
import type { EventEmitter } from 'node:events';
import { invalidArg } from './errors.js';
import { LEAK_PRESETS } from './leak-rule.js';
import {
  duration,
  envWholeNumber,
  isObject,
  type OptionRules,
  plainObject,
  valued,
  wholeNumber,
} from './option-values.js';
import type { LeakSnapshotSettings, SnapshotEvent } from './types.js';

export const DEFAULT_LEAK_SNAPSHOT: Readonly<LeakSnapshotSettings> = Object.freeze({
  cooldown: 10 * 60_000,
  max: 3,
});

/** A leak that is not fixed after this many snapshots will not be by more. */
export const MAX_LEAK_SNAPSHOTS = 1000;

/** Decides whether a 'leak' gets a snapshot. Counts only the snapshots it allowed. */
export class LeakSnapshotGate {
  private taken = 0;
  private last = Number.NEGATIVE_INFINITY;

  constructor(readonly settings: Readonly<LeakSnapshotSettings>) {}

  /** Whether to write one now; if so, counts it. */
  allow(now: number): boolean {
    if (this.taken >= this.settings.max || now - this.last < this.settings.cooldown) return false;
    this.taken++;
    this.last = now;
    return true;
  }
}

/** Listens to 'leak' while snapshotOnLeak is on; `write` writes one and returns its event. */
export class LeakSnapshots {
  #gate: LeakSnapshotGate | undefined;
  readonly #onLeak = () => {
    if (this.#gate?.allow(Date.now())) this.emitter.emit('snapshot', this.write());
  };

  constructor(
    private readonly emitter: EventEmitter,
    private readonly write: () => SnapshotEvent,
  ) {}

  /** A new setting starts a new count. */
  apply(settings: false | LeakSnapshotSettings): void {
    this.emitter.off('leak', this.#onLeak);
    this.#gate = settings === false ? undefined : new LeakSnapshotGate(settings);
    if (this.#gate !== undefined) this.emitter.on('leak', this.#onLeak);
  }
}

const leakOn = (into: { snapshotOnLeak?: false | LeakSnapshotSettings }) => ({
  ...DEFAULT_LEAK_SNAPSHOT,
  ...into.snapshotOnLeak,
});

export const leakSnapshotRules: OptionRules = {
  env: {
    // leak: a snapshot on 'leak'; leak=memwatch|default: the leak rule's preset (leak-rule.ts).
    leak: (value, into) => {
      if (value === undefined) {
        into.snapshotOnLeak = leakOn(into);
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
    // leakmax=N and leakcooldown=10m tune it (and imply leak).
    leakmax: valued('leakmax', (text, into) => ({
      snapshotOnLeak: { ...leakOn(into), max: envWholeNumber(text, 'leakmax', 1, MAX_LEAK_SNAPSHOTS) },
    })),
    leakcooldown: valued('leakcooldown', (text, into) => ({
      snapshotOnLeak: { ...leakOn(into), cooldown: duration(text, 'leakcooldown') },
    })),
  },
  configure: {
    snapshotOnLeak: (value, name) => {
      if (typeof value === 'boolean') return { snapshotOnLeak: value ? { ...DEFAULT_LEAK_SNAPSHOT } : false };
      if (!isObject(value)) throw invalidArg(name, 'a boolean or { cooldown, max }', value);
      const { cooldown, max } = plainObject(value, name, ['cooldown', 'max']);
      return {
        snapshotOnLeak: {
          cooldown:
            cooldown === undefined ? DEFAULT_LEAK_SNAPSHOT.cooldown : duration(cooldown, `${name}.cooldown`),
          max:
            max === undefined
              ? DEFAULT_LEAK_SNAPSHOT.max
              : wholeNumber(max, `${name}.max`, 1, MAX_LEAK_SNAPSHOTS),
        },
      };
    },
  },
};
