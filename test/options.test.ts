// src/options.ts as pure functions: no addon, no process state.
import { describe, expect, test } from 'vitest';
import { HeapwatchError } from '../src/errors.js';
import { parseEnvOptions, suggest, validateConfigure } from '../src/options.js';
import { DEFAULTS } from '../src/settings.js';

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
