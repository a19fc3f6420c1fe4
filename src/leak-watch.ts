// 'leak' while it has a listener: each full GC through the leak rule, and the probe that makes
// V8 run a full GC when the heap has grown without one. Loaded with the first 'leak' listener.
import type { EventEmitter } from 'node:events';
import { foldLeak, initialLeak, type LeakState, probeDue } from './gc-stats.js';
import type { LeakSettings } from './settings.js';

/** The part of the binding the probe uses. */
export interface ProbeBinding {
  /** Starts incremental marking (a full GC in small steps) unless it already runs. */
  gcProbe(): void;
  /** V8's used_heap_size now (what node:v8's getHeapStatistics() reports). */
  heapUsed(): number;
}

export interface LeakWatch {
  /** One counted full GC: the heap after it, when it started, its pause. May emit 'leak'. */
  fullGc(used: number, startTime: number, pauseMs: number): void;
  /** Starts or stops the probe after a settings change. */
  settingsChanged(): void;
  stop(): void;
}

const PROBE_CHECK_MS = 250;

/** Starts watching; the rule's state starts empty (growth counts from the first full GC seen). */
export function createLeakWatch(
  emitter: EventEmitter,
  binding: ProbeBinding,
  settings: () => LeakSettings,
): LeakWatch {
  let state: LeakState = initialLeak;
  // The last full GC seen, and whether a probe is on its way.
  let last = { time: Date.now(), used: binding.heapUsed(), pauseMs: 0 };
  let probeSentAt = 0;
  let timer: NodeJS.Timeout | undefined;

  function checkProbe(): void {
    const now = { time: Date.now(), used: binding.heapUsed() };
    // A probe normally ends in a full GC within milliseconds; give up waiting after 10 s.
    if (probeSentAt !== 0 && now.time - probeSentAt < 10_000) return;
    if (probeDue(settings(), now, last)) {
      probeSentAt = now.time;
      binding.gcProbe();
    }
  }

  function settingsChanged(): void {
    const wantProbe = settings().probe;
    if (wantProbe && timer === undefined) {
      last = { time: Date.now(), used: binding.heapUsed(), pauseMs: last.pauseMs };
      timer = setInterval(checkProbe, PROBE_CHECK_MS);
      timer.unref();
    } else if (!wantProbe && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }
  settingsChanged();

  return {
    fullGc(used, startTime, pauseMs) {
      last = { time: Date.now(), used, pauseMs };
      probeSentAt = 0;
      const l = foldLeak(settings(), state, { used, time: startTime });
      state = l.state;
      if (l.leak) emitter.emit('leak', l.leak);
    },
    settingsChanged,
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
