// heapdump's own tests and the contract's keep/fix lines for writeSnapshot, each in a child process.
import { readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readSnapshot, run, SNAPSHOT_NAME, snapshotsIn, tagged, tempDir, tempFilesIn } from './helpers.js';

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
    expect(snapshotsIn(cwd)).toEqual([call.name]);
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
    expect(snapshotsIn(cwd)).toEqual([result.calls[0].name]);
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
