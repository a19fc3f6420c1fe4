// Writing snapshots: heapdump's writeSnapshot (its own tests and the contract), snapshot() (the
// Promise API), and writes that fail halfway. Each write happens in a child process.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  heapdumpsIn,
  ROOT,
  readSnapshot,
  run,
  SNAPSHOT_NAME,
  tagged,
  tempDir,
  tempFilesIn,
} from './helpers.js';

async function scenario(name: string, cwd = tempDir()) {
  const exit = await run('write-snapshot.cjs', { cwd, args: [name] });
  expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
  const [result] = tagged(exit.stdout, 'result');
  expect(result).toBeDefined();
  return { result, cwd, exit };
}

describe('writeSnapshot, as heapdump tests it', () => {
  test('a missing directory calls back once with "heapdump write error ENOENT" before returning', async () => {
    const { result } = await scenario('enoent');
    expect(result.ret).toBe(false);
    expect(result.calls).toHaveLength(1);
    const [call] = result.calls;
    expect(call.beforeReturn).toBe(true);
    expect(call.argc).toBe(1);
    expect(call.err.message).toMatch(/heapdump write error ENOENT/);
    expect(call.err).toMatchObject({
      message: 'heapdump write error ENOENT',
      code: 'ENOENT',
      errno: -constants.errno.ENOENT,
      syscall: 'open',
      path: '/does/not/exist/x.heapsnapshot',
      isHeapwatchError: true,
      isError: true,
    });
  });

  test('writeSnapshot(name, cb) calls back (null, name) and exactly that file exists', async () => {
    const { result, cwd } = await scenario('named');
    expect(result.ret).toBe(true);
    expect(result.calls).toEqual([{ beforeReturn: true, argc: 2, err: null, name: 'my.heapsnapshot' }]);
    expect(readdirSync(cwd)).toEqual(['my.heapsnapshot']);
  });

  test('an absolute name is passed back unchanged', async () => {
    const { result, cwd } = await scenario('absolute');
    expect(result.calls).toEqual([
      { beforeReturn: true, argc: 2, err: null, name: join(cwd, 'abs.heapsnapshot') },
    ]);
    expect(readdirSync(cwd)).toEqual(['abs.heapsnapshot']);
  });

  test('writeSnapshot(cb) calls back (null, generated): one heapdump-<sec>.<usec>.heapsnapshot in cwd', async () => {
    const { result, cwd } = await scenario('default');
    expect(result.ret).toBe(true);
    expect(result.calls).toHaveLength(1);
    const [call] = result.calls;
    expect(call).toMatchObject({ beforeReturn: true, argc: 2, err: null });
    expect(call.name).toMatch(SNAPSHOT_NAME);
    expect(heapdumpsIn(cwd)).toEqual([call.name]);
    expect(readdirSync(cwd)).toEqual([call.name]);
    // Wall-clock seconds and microseconds, as heapdump's README promises.
    const [, sec, usec] = /^heapdump-(\d+)\.(\d+)\./.exec(call.name)!;
    expect(usec).toHaveLength(6);
    const stamp = Number(sec) + Number(usec) / 1e6;
    expect(stamp).toBeGreaterThanOrEqual(result.before - 0.001);
    expect(stamp).toBeLessThanOrEqual(result.after + 0.001);
  });

  test('a first argument that is not a string means the default name', async () => {
    const { result, cwd } = await scenario('non-string-name');
    expect(result.ret).toBe(true);
    expect(result.calls[0].name).toMatch(SNAPSHOT_NAME);
    expect(heapdumpsIn(cwd)).toEqual([result.calls[0].name]);
  });

  test('without a callback it returns true or false and never throws for I/O errors', async () => {
    const { result, cwd } = await scenario('no-callback');
    expect(result).toEqual({ ret: true, retFail: false });
    expect(readdirSync(cwd)).toEqual(['quiet.heapsnapshot']);
  });
});

describe('the written file', () => {
  test('parses as a V8 heap snapshot and holds a class the process allocated', async () => {
    const { cwd } = await scenario('named');
    const snapshot = readSnapshot(join(cwd, 'my.heapsnapshot'));
    expect(snapshot.strings).toContain('WriteSnapshotFixtureMarker');
    expect(snapshot.snapshot.node_count).toBeGreaterThan(1000);
  });

  test('is created 0600 whatever the umask', async () => {
    const { result, cwd } = await scenario('umask0');
    expect(result.ret).toBe(true);
    expect(statSync(join(cwd, 'open.heapsnapshot')).mode & 0o777).toBe(0o600);
  });
});

describe('bad names', () => {
  test('each gives an error callback, no crash and no file', async () => {
    const { result, cwd } = await scenario('bad-names');
    const expected: Record<string, string> = {
      empty: 'ENOENT',
      nul: 'EINVAL',
      tooLong: 'ENAMETOOLONG',
      multibyte: 'ENAMETOOLONG',
      missingDir: 'ENOENT',
      directory: 'EISDIR',
      directorySlash: 'EISDIR',
      cwd: 'EISDIR',
    };
    for (const [key, code] of Object.entries(expected)) {
      const r = result[key];
      expect(r.ret, key).toBe(false);
      expect(r.calls, key).toHaveLength(1);
      expect(r.calls[0].argc, key).toBe(1);
      expect(r.calls[0].beforeReturn, key).toBe(true);
      expect(r.calls[0].err, key).toMatchObject({ message: `heapdump write error ${code}`, code });
      expect(r.calls[0].err.syscall, key).toEqual(expect.any(String));
    }
    const longest = `${'y'.repeat(242)}.heapsnapshot`;
    expect(result.longestName).toEqual({
      ret: true,
      calls: [{ beforeReturn: true, argc: 2, err: null, name: longest }],
    });
    readSnapshot(join(cwd, longest));
    expect(readdirSync(cwd).sort()).toEqual(['sub', longest].sort());
    expect(readdirSync(join(cwd, 'sub'))).toEqual([]);
    expect(tempFilesIn(cwd)).toEqual([]);
  });

  test('a truthy callback that is not a function throws a HeapwatchError naming `callback`, before writing', async () => {
    const { result, cwd } = await scenario('bad-callback');
    for (const key of ['number', 'string', 'object', 'true']) {
      expect(result[key].threw, key).toMatchObject({
        code: 'ERR_HEAPWATCH_INVALID_ARG',
        isHeapwatchError: true,
        isError: true,
      });
      expect(result[key].threw.message, key).toMatch(/`callback`/);
    }
    expect(result.number.threw.message).toMatch(/function/);
    expect(result.null).toEqual({ ret: true });
    expect(readdirSync(cwd)).toEqual(['null-cb.heapsnapshot']);
  });
});

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

test('hitting `ulimit -f` (SIGXFSZ ignored) gives EFBIG, returns false and leaves nothing behind', async () => {
  const cwd = tempDir();
  const exit = await run('file-limit.cjs', { cwd, shellPrefix: "trap '' XFSZ; ulimit -f 64;" });
  expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
  const [result] = tagged(exit.stdout, 'result');
  const efbig = { message: 'heapdump write error EFBIG', code: 'EFBIG', errno: -27, syscall: 'write' };
  for (const key of ['fresh', 'existing', 'generated']) {
    expect(result[key].ret, key).toBe(false);
    expect(result[key].calls, key).toHaveLength(1);
    expect(result[key].calls[0].argc, key).toBe(1);
    expect(result[key].calls[0].err, key).toMatchObject(efbig);
  }
  expect(result.fresh.calls[0].err.path).toBe('big.heapsnapshot');
  expect(result.promise.error).toMatchObject({
    code: 'EFBIG',
    syscall: 'write',
    path: 'promise.heapsnapshot',
  });
  expect(result.promise.error.message).toMatch(/EFBIG/);
  expect(result.signal).toMatchObject({ trigger: 'signal', error: { code: 'EFBIG', syscall: 'write' } });
  expect(exit.stderr).toMatch(
    /^heapwatch: could not write heap snapshot to \S+heapdump-\d+\.\d+\.heapsnapshot: EFBIG \(write\) \(signal\)$/m,
  );

  // No new file, no temp file, and the existing file under a target name is untouched.
  expect(readdirSync(cwd)).toEqual(['existing.heapsnapshot']);
  expect(readFileSync(join(cwd, 'existing.heapsnapshot'), 'utf8')).toBe('keep me');
});
