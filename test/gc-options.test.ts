import { describe, expect, it } from 'vitest';
import { mergeSettings, parseEnvOptions, validateConfigure } from '../src/options.js';
import { DEFAULT_LEAK, DEFAULTS, MEMWATCH_LEAK } from '../src/settings.js';

describe('leak settings: configure()', () => {
  it('merges partial leak settings and accepts the presets', () => {
    const merged = mergeSettings(DEFAULTS, validateConfigure({ leak: { consecutiveGcs: 3 } }));
    expect(merged.leak).toEqual({ ...DEFAULT_LEAK, consecutiveGcs: 3 });
    expect(mergeSettings(merged, validateConfigure({ leak: 'memwatch' })).leak).toEqual(MEMWATCH_LEAK);
    expect(mergeSettings(DEFAULTS, validateConfigure({ leak: { minGrowth: 0, probe: false } })).leak).toEqual(
      {
        ...DEFAULT_LEAK,
        minGrowth: 0,
        probe: false,
      },
    );
  });

  it.each([
    [
      { leak: { consecutiveGcs: 0 } },
      'Expected a whole number of GCs from 1 to 1000 for `options.leak.consecutiveGcs` but received 0 (number)',
    ],
    [
      { leak: { consecutiveGcs: 2.5 } },
      'Expected a whole number of GCs from 1 to 1000 for `options.leak.consecutiveGcs` but received 2.5 (number)',
    ],
    [
      { leak: { minGrowth: -1 } },
      'Expected a number of bytes >= 0 for `options.leak.minGrowth` but received -1 (number)',
    ],
    [
      { leak: { minGrowth: '1mb' } },
      'Expected a number of bytes >= 0 for `options.leak.minGrowth` but received "1mb" (string)',
    ],
    [
      { leak: { minDuration: Number.NaN } },
      'Expected a number of milliseconds >= 0 for `options.leak.minDuration` but received NaN (number)',
    ],
    [{ leak: { probe: 'yes' } }, 'Expected a boolean for `options.leak.probe` but received "yes" (string)'],
    [
      { leak: 5 },
      'Expected an object of leak settings or one of default, memwatch for `options.leak` but received 5 (number)',
    ],
    [
      { leak: 'strict' },
      'Expected an object of leak settings or one of default, memwatch for `options.leak` but received "strict" (string)',
    ],
    [
      { leak: { consecutiveGC: 3 } },
      'Unknown option `consecutiveGC` in `options.leak` (misspelled "consecutiveGC" should be "consecutiveGcs")',
    ],
  ])('rejects %j with a message naming the argument', (options, message) => {
    expect(() => validateConfigure(options)).toThrow(
      expect.objectContaining({ code: 'ERR_HEAPWATCH_INVALID_ARG' }),
    );
    expect(() => validateConfigure(options)).toThrow(message);
  });
});

describe('leak settings: NODE_HEAPDUMP_OPTIONS', () => {
  it('reads leak=, leakgcs=, leakmingrowth=, leakminduration= and (no)leakprobe', () => {
    const warnings: string[] = [];
    const patch = parseEnvOptions(
      'nosignal, leakgcs=3, leakmingrowth=2097152, leakminduration=0, noleakprobe',
      (w) => warnings.push(w),
    );
    expect(warnings).toEqual([]);
    expect(mergeSettings(DEFAULTS, patch)).toMatchObject({
      signal: false,
      leak: { consecutiveGcs: 3, minGrowth: 2097152, minDuration: 0, probe: false },
    });
    expect(
      mergeSettings(
        DEFAULTS,
        parseEnvOptions('leak=memwatch', () => {}),
      ).leak,
    ).toEqual(MEMWATCH_LEAK);
  });

  it('ignores a bad item with one warning naming it', () => {
    const warnings: string[] = [];
    const patch = parseEnvOptions('leakgcs=0,leakmingrowth=1m,leak=strict,leakgc=4', (w) => warnings.push(w));
    expect(patch.leak).toBeUndefined();
    expect(warnings).toEqual([
      'heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "leakgcs=0": Expected a whole number of GCs from 1 to 1000 for `leakgcs` but received 0 (number)',
      'heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "leakmingrowth=1m": expected a whole number',
      'heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "leak=strict": expected no value (snapshot on leak) or one of default, memwatch (the leak rule)',
      'heapwatch: ignoring unknown NODE_HEAPDUMP_OPTIONS item "leakgc=4" (did you mean "leakgcs"?)',
    ]);
  });
});
