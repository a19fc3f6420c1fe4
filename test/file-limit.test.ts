// A write that fails halfway (the file-size limit) leaves no file, no temp file, no truncation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { run, tagged, tempDir } from './helpers.js';

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
    /^heapwatch: could not write \S+heapdump-\d+\.\d+\.heapsnapshot: write EFBIG \(signal\)$/m,
  );

  // No new file, no temp file, and the existing file under a target name is untouched.
  expect(readdirSync(cwd)).toEqual(['existing.heapsnapshot']);
  expect(readFileSync(join(cwd, 'existing.heapsnapshot'), 'utf8')).toBe('keep me');
});
