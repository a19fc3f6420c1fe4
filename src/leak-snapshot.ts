// `snapshotOnLeak`: a snapshot when 'leak' fires, at most once per cooldown and `max` times.

export interface LeakSnapshotSettings {
  /** Minimum time between two leak snapshots, in milliseconds. */
  cooldown: number;
  /** Leak snapshots per process, at most. */
  max: number;
}

export const DEFAULT_LEAK_SNAPSHOT: Readonly<LeakSnapshotSettings> = Object.freeze({
  cooldown: 10 * 60_000,
  max: 3,
});

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

  get count(): number {
    return this.taken;
  }
}
