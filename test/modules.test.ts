// The built package through its exports map: ESM import and CJS require give the same object.
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { run, snapshotsIn, tagged, tempDir } from './helpers.js';

describe('the built package', () => {
  test('ESM: default and named imports, the same object as require(), one signal handler', async () => {
    const cwd = tempDir();
    const exit = await run('esm.mjs', { cwd });
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    const [result] = tagged(exit.stdout, 'result');
    expect(result).toEqual({
      same: true,
      named: { writeSnapshot: true, snapshot: true, configure: true, HeapwatchError: true },
      types: ['function', 'function', 'function', 'function'],
      isEmitter: true,
      errorIsError: true,
      unboundWrite: true,
      unboundSnapshot: 'api',
      signal: 'signal',
      events: 1,
    });
    expect(snapshotsIn(cwd)).toHaveLength(1);
    expect(readdirSync(cwd).sort()).toEqual([
      'esm-promise.heapsnapshot',
      'esm.heapsnapshot',
      snapshotsIn(cwd)[0],
    ]);
  });

  test('CJS: require() then import() give the same object, with own emitter methods', async () => {
    const cwd = tempDir();
    const exit = await run('cjs.cjs', { cwd });
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    const [result] = tagged(exit.stdout, 'result');
    expect(result).toEqual({
      same: true,
      named: [true, true, true, true],
      isEmitter: true,
      ownKeys: expect.arrayContaining(['configure', 'snapshot', 'writeSnapshot']),
      ownOn: true,
      version: 'heapwatch',
      unboundOn: 1,
    });
  });
});
