// Issue 5: every production option through configure() and NODE_HEAPDUMP_OPTIONS, with bad values.
import { describe, expect, it } from 'vitest';
import { templatePattern, templateProblem } from '../src/naming.js';
import { parseEnvOptions, validateConfigure } from '../src/options.js';
import { DEFAULTS } from '../src/settings.js';

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
      /ignoring NODE_HEAPDUMP_OPTIONS item "keep=0": Expected a whole number from 1 for `keep` but received "0"/,
    ],
    ['keep=two', /item "keep=two": Expected a whole number from 1 for `keep`/],
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
    ['oommax=-1', /Expected a whole number from 1 for `oommax`/],
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
    [{ keep: 0 }, /Expected a whole number from 1, or false for `options.keep` but received 0 \(number\)/],
    [{ keep: 2.5 }, /for `options.keep`/],
    [{ keep: '3' }, /for `options.keep` but received "3" \(string\)/],
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

describe('name templates', () => {
  it('the default template is valid and matches heapdump names only', () => {
    const p = templatePattern(DEFAULTS.name);
    expect(templateProblem(DEFAULTS.name)).toBe('');
    expect(p.test('heapdump-1700000000.123456.heapsnapshot')).toBe(true);
    expect(p.test('heapdump-1700000000.12345.heapsnapshot')).toBe(false);
    expect(p.test('heapdump-1700000000.123456.heapsnapshot.bak')).toBe(false);
    expect(p.test('Heap.20240101.101010.1.0.001.heapsnapshot')).toBe(false);
  });

  it('escapes literal text and knows every placeholder', () => {
    const p = templatePattern('a+b ({pid}) {tid} {seq} {date} {trigger}.heapsnapshot');
    expect(p.test('a+b (12) 0 3 20250102T030405Z heap-limit.heapsnapshot')).toBe(true);
    expect(p.test('aab (12) 0 3 20250102T030405Z api.heapsnapshot')).toBe(false);
    expect(p.test('a+b (12) 0 3 20250102T030405Z other.heapsnapshot')).toBe(false);
  });
});
