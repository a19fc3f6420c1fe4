// configure() and NODE_HEAPDUMP_OPTIONS: every option, its defaults, and bad values named.
import { describe, expect, it, test } from 'vitest';
import { HeapwatchError } from '../src/errors.js';
import { DEFAULT_LEAK, MEMWATCH_LEAK } from '../src/leak-rule.js';
import { type RuleContext, suggest } from '../src/option-values.js';
import { parseEnvOptions as parseWith, validateConfigure as validateWith } from '../src/options.js';
import { defaultSettings, mergeSettings } from '../src/settings.js';
import { testBinding } from './helpers.js';

// The rules ask the addon about templates and signals: the real one.
const facts = testBinding().facts();
const ctx: RuleContext = {
  checkTemplate: (t) => testBinding().checkTemplate(t),
  signals: facts.signals,
  placeholders: facts.placeholders,
};
const DEFAULTS = defaultSettings(facts.defaultName);
const parseEnvOptions = (text: string | undefined, warn: (line: string) => void) =>
  parseWith(text, warn, ctx);
const validateConfigure = (options: unknown) => validateWith(options, ctx);

// src/options.ts as pure functions: no addon, no process state.

function parse(text: string | undefined) {
  const warnings: string[] = [];
  const settings = parseEnvOptions(text, (line) => warnings.push(line));
  return { settings, warnings };
}

describe('parseEnvOptions', () => {
  test('empty or unset changes nothing', () => {
    expect(parse(undefined)).toEqual({ settings: {}, warnings: [] });
    expect(parse('')).toEqual({ settings: {}, warnings: [] });
    expect(parse(' , ,, ')).toEqual({ settings: {}, warnings: [] });
  });

  test('signal / nosignal, the last one wins', () => {
    expect(parse('signal').settings).toEqual({ signal: true });
    expect(parse('nosignal').settings).toEqual({ signal: false });
    expect(parse('signal,nosignal').settings).toEqual({ signal: false });
    expect(parse('nosignal,signal').settings).toEqual({ signal: true });
    expect(parse('nosignal,signal,nosignal').settings).toEqual({ signal: false });
  });

  test('blanks around items are ignored', () => {
    expect(parse('  nosignal ,\tsignal  ')).toEqual({ settings: { signal: true }, warnings: [] });
  });

  test('fork / nofork: one notice each, no settings', () => {
    for (const item of ['fork', 'nofork']) {
      const { settings, warnings } = parse(item);
      expect(settings).toEqual({});
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/in-process/);
    }
  });

  test('unknown items are named, one line each, and ignored; the rest applies', () => {
    const { settings, warnings } = parse('bogus,nosignal,other=1');
    expect(settings).toEqual({ signal: false });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/"bogus"/);
    expect(warnings[1]).toMatch(/"other=1"/);
    for (const w of warnings) expect(w).not.toMatch(/\n/);
  });

  test('a misspelling gets a hint', () => {
    expect(parse('nosginal').warnings[0]).toMatch(/did you mean "nosignal"/);
  });

  test('a flag with a value is named and ignored', () => {
    const { settings, warnings } = parse('nosignal=1');
    expect(settings).toEqual({});
    expect(warnings).toEqual([expect.stringMatching(/"nosignal=1".*takes no value/)]);
  });

  test('never throws, whatever the text', () => {
    for (const text of ['=', '==,', 'signal=', '\0', ',,,=x', '__proto__', 'constructor', 'toString']) {
      expect(() => parse(text), text).not.toThrow();
      expect(parse(text).settings, text).toEqual({});
    }
  });
});

describe('validateConfigure', () => {
  const fails = (options: unknown, pattern: RegExp) => {
    let error: unknown;
    try {
      validateConfigure(options);
    } catch (e) {
      error = e;
    }
    expect(error, pattern.source).toBeInstanceOf(HeapwatchError);
    expect((error as HeapwatchError).code).toBe('ERR_HEAPWATCH_INVALID_ARG');
    expect((error as Error).message).toMatch(pattern);
  };

  test('accepts any subset of the settings', () => {
    expect(validateConfigure({})).toEqual({});
    expect(validateConfigure({ signal: false, dir: '/tmp', name: 'x-{pid}-{seq}.heapsnapshot' })).toEqual({
      signal: false,
      dir: '/tmp',
      name: 'x-{pid}-{seq}.heapsnapshot',
    });
    expect(validateConfigure({ signal: undefined })).toEqual({});
  });

  test('names the bad option, what was expected and what was given', () => {
    fails(null, /`options`.*null/);
    fails('signal', /`options`/);
    fails([], /`options`/);
    fails({ signal: 'yes' }, /a boolean or one of SIGUSR2.* for `options.signal` but received "yes"/);
    fails({ dir: 5 }, /`options.dir`.*5 \(number\)/);
    fails({ dir: 'a\0b' }, /`options.dir`/);
    fails({ name: '' }, /`options.name`/);
    fails({ name: 'a/b' }, /`options.name`/);
    fails({ dri: '/tmp' }, /`dri`.*"dir"/);
    fails({ __proto__: null, toString: 1 } as unknown, /`toString`/);
  });

  test('DEFAULTS: signal on, current directory, heapdump names', () => {
    expect(DEFAULTS).toMatchObject({ signal: true, dir: '', name: 'heapdump-{sec}.{usec}.heapsnapshot' });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
  });
});

describe('suggest', () => {
  test('finds close names only', () => {
    expect(suggest('sigal', ['signal', 'nosignal'])).toBe('signal');
    expect(suggest('SIGNAL', ['signal'])).toBe('signal');
    expect(suggest('completely-different', ['signal'])).toBe('');
  });
});

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
      'Expected a number of bytes from 0 to 2^53 for `options.leak.minGrowth` but received -1 (number)',
    ],
    [
      { leak: { minGrowth: '1mb' } },
      'Expected a number of bytes from 0 to 2^53 for `options.leak.minGrowth` but received "1mb" (string)',
    ],
    [
      { leak: { minDuration: Number.NaN } },
      'Expected a number of milliseconds from 0 to a year for `options.leak.minDuration` but received NaN (number)',
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

// Issue 5: every production option through configure() and NODE_HEAPDUMP_OPTIONS, with bad values.

const env = (text: string) => {
  const warnings: string[] = [];
  const settings = parseEnvOptions(text, (l) => warnings.push(l));
  return { settings, warnings };
};
const SHAPE = /^Expected .+ for `options\.[\w.]+` but received .+/;

describe('NODE_HEAPDUMP_OPTIONS items', () => {
  it('parses every production item', () => {
    const { settings, warnings } = env(
      ' dir=/var/snaps , name=app-{pid}-{seq}.heapsnapshot, keep=5, signal=SIGHUP, oom, leak,leakmax=2,leakcooldown=30s',
    );
    expect(warnings).toEqual([]);
    expect(settings).toEqual({
      dir: '/var/snaps',
      name: 'app-{pid}-{seq}.heapsnapshot',
      keep: 5,
      signal: true,
      signalName: 'SIGHUP',
      heapLimit: { max: 1 },
      snapshotOnLeak: { max: 2, cooldown: 30_000 },
    });
  });

  it('oommax and leakmax imply the feature; order does not matter', () => {
    expect(env('oommax=3').settings).toEqual({ heapLimit: { max: 3 } });
    expect(env('oommax=3,oom').settings).toEqual({ heapLimit: { max: 3 } });
    expect(env('leakcooldown=1h,leak').settings).toEqual({ snapshotOnLeak: { max: 3, cooldown: 3_600_000 } });
    expect(env('leakcooldown=250').settings).toEqual({ snapshotOnLeak: { max: 3, cooldown: 250 } });
  });

  it.each([
    [
      'keep=0',
      /ignoring NODE_HEAPDUMP_OPTIONS item "keep=0": Expected a whole number from 1 to 100000 for `keep` but received "0"/,
    ],
    ['keep=two', /item "keep=two": Expected a whole number from 1 to 100000 for `keep`/],
    ['keep', /item "keep": needs a value/],
    ['dir=', /item "dir=": needs a value/],
    ['name=snap-{host}.heapsnapshot', /for `name` but received .*unknown placeholder \{host\}/],
    ['name=fixed.heapsnapshot', /for `name` .*could repeat a name/],
    ['name=a/{seq}', /for `name` .*contains "\/"/],
    ['signal=SIGUSR1', /for `signal` but received "SIGUSR1" \(string\): Node's inspector uses SIGUSR1/],
    ['signal=SIGKILL', /SIGKILL cannot be caught/],
    ['signal=SIGSEGV', /SIGSEGV reports a crash/],
    ['signal=SIGTERM', /SIGTERM must keep ending the process/],
    ['signal=SIGNOPE', /there is no signal SIGNOPE/],
    ['oom=2', /item "oom=2": takes no value/],
    ['oommax=-1', /Expected a whole number from 1 to 1000 for `oommax`/],
    ['leak=yes', /item "leak=yes": expected no value \(snapshot on leak\) or one of default, memwatch/],
    ['leakmax=1.5', /for `leakmax` but received "1.5"/],
    ['leakcooldown=soon', /Expected a duration .* for `leakcooldown` but received "soon"/],
    ['kep=3', /unknown NODE_HEAPDUMP_OPTIONS item "kep=3" \(did you mean "keep"\?\)/],
  ])('%s is named on stderr and ignored', (item, message) => {
    const { settings, warnings } = env(`${item},nosignal`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(message);
    expect(settings).toEqual({ signal: false });
  });

  it('bare `leak` (snapshot on leak) and `leak=memwatch` (the leak rule, issue 3) coexist', () => {
    const { settings, warnings } = env('leak=memwatch,leak');
    expect(warnings).toEqual([]);
    expect(settings.snapshotOnLeak).toEqual({ cooldown: 600_000, max: 3 });
    expect(settings.leak).toMatchObject({ consecutiveGcs: expect.any(Number) });
  });

  it('accepts signal names without SIG and in any case', () => {
    expect(env('signal=hup').settings).toEqual({ signal: true, signalName: 'SIGHUP' });
    expect(env('signal=WINCH').settings).toEqual({ signal: true, signalName: 'SIGWINCH' });
  });
});

describe('configure() keys', () => {
  it('normalises every production option', () => {
    expect(
      validateConfigure({
        dir: 'snaps',
        name: '{date}-{usec}.heapsnapshot',
        keep: 2,
        signal: 'SIGWINCH',
        heapLimit: { max: 2 },
        snapshotOnLeak: { cooldown: '2m' },
      }),
    ).toEqual({
      dir: 'snaps',
      name: '{date}-{usec}.heapsnapshot',
      keep: 2,
      signal: true,
      signalName: 'SIGWINCH',
      heapLimit: { max: 2 },
      snapshotOnLeak: { cooldown: 120_000, max: 3 },
    });
    expect(validateConfigure({ heapLimit: true, snapshotOnLeak: true, keep: false })).toEqual({
      heapLimit: { max: 1 },
      snapshotOnLeak: { cooldown: 600_000, max: 3 },
      keep: false,
    });
    expect(validateConfigure({ heapLimit: false, snapshotOnLeak: false })).toEqual({
      heapLimit: false,
      snapshotOnLeak: false,
    });
  });

  it.each([
    [{ dir: 42 }, /for `options.dir` but received 42 \(number\)/],
    [{ dir: 'a\0b' }, /for `options.dir`/],
    [{ name: '' }, /for `options.name` .*is empty/],
    [
      { name: 'x-{foo}.heapsnapshot' },
      /for `options.name` but received "x-\{foo\}.heapsnapshot" \(string\): the template has an unknown placeholder \{foo\}/,
    ],
    [{ name: 'x-{seq.heapsnapshot' }, /without "\}"/],
    [{ name: 'x\n{seq}' }, /control character/],
    [{ name: '{usec}.heapsnapshot' }, /could repeat a name/],
    [{ keep: 0 }, /Expected a whole number from 1 to 100000 for `options.keep` but received 0 \(number\)/],
    [{ keep: 2.5 }, /for `options.keep`/],
    [
      { keep: '3' },
      /a whole number from 1 to 100000, or false for `options.keep` but received "3" \(string\)/,
    ],
    [
      { signal: 'SIGUSR1' },
      /for `options.signal` but received "SIGUSR1" \(string\): Node's inspector uses SIGUSR1 \(it starts the debugger\)/,
    ],
    [{ signal: 'SIGSTOP' }, /SIGSTOP cannot be caught/],
    [{ signal: 12 }, /for `options.signal` but received 12 \(number\)/],
    [{ heapLimit: 'yes' }, /Expected a boolean or \{ max \} for `options.heapLimit`/],
    [{ heapLimit: { max: 0 } }, /for `options.heapLimit.max` but received 0/],
    [{ snapshotOnLeak: { cooldown: -1 } }, /for `options.snapshotOnLeak.cooldown` but received -1/],
    [{ snapshotOnLeak: { max: 'lots' } }, /for `options.snapshotOnLeak.max`/],
  ])('%o throws naming the option', (options, message) => {
    let error: any;
    try {
      validateConfigure(options);
    } catch (e) {
      error = e;
    }
    expect(error?.code).toBe('ERR_HEAPWATCH_INVALID_ARG');
    expect(error.message).toMatch(SHAPE);
    expect(error.message).toMatch(message);
  });

  it('names a stray nested key', () => {
    expect(() => validateConfigure({ heapLimit: { maximum: 2 } })).toThrow(
      /Unknown option `maximum` in `options.heapLimit`; known options: max/,
    );
  });

  it('defaults keep heapdump behaviour', () => {
    expect(DEFAULTS).toMatchObject({
      signalName: 'SIGUSR2',
      name: 'heapdump-{sec}.{usec}.heapsnapshot',
      keep: false,
    });
  });
});

describe('name templates (the addon checks them)', () => {
  it('the default is valid; a template must fit a file name once expanded', () => {
    expect(ctx.checkTemplate(DEFAULTS.name)).toBe('');
    expect(ctx.checkTemplate(`${'x'.repeat(200)}-{seq}.heapsnapshot`)).toBe('');
    expect(ctx.checkTemplate(`${'x'.repeat(5000)}-{seq}.heapsnapshot`)).toMatch(
      /can expand to 5034 bytes, more than a file name may have \(255\)/,
    );
    // Every placeholder at its longest: 10 + 20 + 20 + 16 + 10 + 12 + 6 bytes.
    expect(ctx.checkTemplate('{pid}{tid}{seq}{date}{trigger}{sec}{usec}')).toBe('');
    // Bytes, not characters: 120 é are 240 bytes of UTF-8.
    expect(ctx.checkTemplate(`${'é'.repeat(120)}{seq}`)).toMatch(/can expand to 260 bytes/);
  });

  it("refuses names of heapwatch's own files", () => {
    expect(ctx.checkTemplate('.heapwatch-ledger{seq}')).toMatch(/starts with "\.heapwatch"/);
    expect(ctx.checkTemplate('.heapwatch-{pid}-{seq}.tmp')).toMatch(/starts with "\.heapwatch"/);
  });
});

describe('numbers are held to what the addon can hold', () => {
  it.each([
    [{ heapLimit: { max: 2 ** 31 } }, /from 1 to 1000 for `options.heapLimit.max` but received 2147483648/],
    [{ heapLimit: { max: 1001 } }, /from 1 to 1000 for `options.heapLimit.max`/],
    [{ keep: 2 ** 53 }, /from 1 to 100000 for `options.keep`/],
    [{ keep: Number.POSITIVE_INFINITY }, /for `options.keep` but received Infinity/],
    [{ snapshotOnLeak: { max: 1e9 } }, /from 1 to 1000 for `options.snapshotOnLeak.max`/],
    [
      { snapshotOnLeak: { cooldown: 1e15 } },
      /a duration up to a year .* for `options.snapshotOnLeak.cooldown`/,
    ],
    [{ snapshotOnLeak: { cooldown: '9999999h' } }, /for `options.snapshotOnLeak.cooldown`/],
    [{ leak: { minDuration: 1e15 } }, /from 0 to a year for `options.leak.minDuration`/],
    [{ leak: { minGrowth: 2 ** 60 } }, /from 0 to 2\^53 for `options.leak.minGrowth`/],
    [{ leak: { consecutiveGcs: 1e6 } }, /from 1 to 1000 for `options.leak.consecutiveGcs`/],
  ])('configure(%o) is refused', (options, message) => {
    expect(() => validateConfigure(options)).toThrow(message);
  });

  it.each([
    ['oommax=4294967296', /from 1 to 1000 for `oommax` but received "4294967296"/],
    ['oommax=2147483648', /from 1 to 1000 for `oommax`/],
    ['keep=99999999999999999999', /from 1 to 100000 for `keep`/],
    ['leakmax=1001', /from 1 to 1000 for `leakmax`/],
    ['leakcooldown=100000h', /a duration up to a year/],
    ['leakgcs=1001', /from 1 to 1000 for `leakgcs`/],
    ['leakminduration=99999999999999', /from 0 to a year for `leakminduration`/],
  ])('%s is named and ignored', (item, message) => {
    const warnings: string[] = [];
    expect(parseEnvOptions(item, (w) => warnings.push(w))).toEqual({});
    expect(warnings).toEqual([expect.stringMatching(message)]);
  });
});
