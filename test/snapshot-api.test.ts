// snapshot(): the Promise API. Writing happens in a child; argument checks run here (they write nothing).

import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, readSnapshot, run, SNAPSHOT_NAME, tagged, tempDir } from './helpers.js';

// The built CommonJS entry, loaded into this test process for checks that never write.
const heapwatch = createRequire(__filename)(ROOT) as typeof import('../src/index.cjs');

describe('snapshot()', () => {
  test('resolves { path, bytes, durationMs, trigger }; filename, generated names and dir; ENOENT', async () => {
    const cwd = tempDir();
    const exit = await run('snapshot-api.cjs', { cwd });
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    const [result] = tagged(exit.stdout, 'result');

    const check = (info: any, path: string) => {
      expect(info).toEqual({
        path,
        bytes: statSync(path).size,
        durationMs: expect.any(Number),
        trigger: 'api',
      });
      expect(info.durationMs).toBeGreaterThan(0);
      readSnapshot(path);
    };
    check(result.filename.value, join(cwd, 'named.heapsnapshot'));
    const generated = result.generated.value.path as string;
    expect(generated.startsWith(`${cwd}/`)).toBe(true);
    expect(generated.slice(cwd.length + 1)).toMatch(SNAPSHOT_NAME);
    check(result.generated.value, generated);
    const inSub = result.dir.value.path as string;
    expect(inSub.slice(0, cwd.length + 5)).toBe(`${cwd}/sub/`);
    expect(inSub.slice(cwd.length + 5)).toMatch(SNAPSHOT_NAME);
    check(result.dir.value, inSub);

    for (const key of ['missingDir', 'missingFileDir']) {
      expect(result[key].error, key).toMatchObject({
        code: 'ENOENT',
        syscall: 'open',
        isHeapwatchError: true,
      });
      expect(result[key].error.errno, key).toBeLessThan(0);
      expect(result[key].error.message, key).toMatch(/ENOENT/);
    }
    expect(result.missingDir.error.message).toContain(join(cwd, 'nope'));

    // configure({ dir, name }) applies to generated names.
    const configured = result.configured.value.path as string;
    expect(configured).toMatch(new RegExp(`^${cwd}/sub/app-${'\\d+'}-\\d+\\.heapsnapshot$`));
    check(result.configured.value, configured);

    expect(readdirSync(cwd).sort()).toEqual(
      [generated.slice(cwd.length + 1), 'named.heapsnapshot', 'sub'].sort(),
    );
    expect(readdirSync(join(cwd, 'sub'))).toHaveLength(2);
  });

  test('bad options reject (never throw) with ERR_HEAPWATCH_INVALID_ARG naming the option', async () => {
    const cases: [unknown, RegExp][] = [
      [{ bogus: 1 }, /`bogus`/],
      [{ filename: 42 }, /`options.filename`.*42 \(number\)/],
      [{ filename: '' }, /`options.filename`/],
      [{ filename: 'a\0b' }, /`options.filename`/],
      [{ dir: 5 }, /`options.dir`/],
      [{ dir: '' }, /`options.dir`/],
      [{ filename: 'a.heapsnapshot', dir: '/tmp' }, /`filename`.*`dir`/],
      [null, /`options`.*null/],
      ['x.heapsnapshot', /`options`/],
    ];
    for (const [options, message] of cases) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = heapwatch.snapshot(options as any);
      }).not.toThrow();
      const error = await promise!.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, message.source).toBeInstanceOf(heapwatch.HeapwatchError);
      expect((error as any).code, message.source).toBe('ERR_HEAPWATCH_INVALID_ARG');
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('configure()', () => {
  test('bad input throws a HeapwatchError naming the option, and changes nothing', () => {
    const before = heapwatch.settings;
    const cases: [unknown, RegExp][] = [
      [undefined, /`options`/],
      [{ signal: 'no' }, /`options.signal`/],
      [{ dir: 1 }, /`options.dir`/],
      [{ name: 'a/b.heapsnapshot' }, /`options.name`/],
      [{ signal: false, nmae: 'x' }, /`nmae`.*"name"/],
    ];
    for (const [options, message] of cases) {
      expect(() => heapwatch.configure(options as any), message.source).toThrow(message);
      try {
        heapwatch.configure(options as any);
      } catch (e) {
        expect(e).toBeInstanceOf(heapwatch.HeapwatchError);
        expect((e as any).code).toBe('ERR_HEAPWATCH_INVALID_ARG');
      }
    }
    expect(heapwatch.settings).toEqual(before);
  });
});
