// The built package through its exports map: ESM import and CJS require give the same object.
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, run, snapshotsIn, tagged, tempDir } from './helpers.js';

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

  test('loading it loads no Node module (not os, worker_threads, v8 or streams)', () => {
    // What a process pays to load heapwatch: its own code and addon. node:worker_threads and
    // node:v8 would each pull in Node's streams, and so would an ESM import of node:fs or
    // node:util (the ESM build loads the CommonJS one with require); the snapshot signal is named
    // to the addon, so node:os is not needed either.
    // The ESM case first imports an empty module, so that Node's ESM loader is not counted.
    const empty = join(tempDir(), 'empty.mjs');
    writeFileSync(empty, '');
    const load = {
      cjs: `Promise.resolve().then(() => require(${JSON.stringify(join(ROOT, 'dist/index.cjs'))}))`,
      esm: `import(${JSON.stringify(join(ROOT, 'dist/index.mjs'))})`,
    };
    for (const [kind, code] of Object.entries(load)) {
      const script = `import(${JSON.stringify(empty)}).then(() => {
        const before = new Set(process.moduleLoadList);
        return ${code}.then(() =>
          console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m)))));
      });`;
      const stdout = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
      const added: string[] = JSON.parse(stdout);
      const builtins = added.filter((m) => m.startsWith('NativeModule '));
      const unwanted = builtins.filter((m) => !m.startsWith('NativeModule internal/modules/'));
      expect(unwanted, `${kind}: ${added.join(', ')}`).toEqual([]);
    }
  });

  test('the error class loads when first asked for, and is the one heapwatch throws', () => {
    const script = `
      const dist = ${JSON.stringify(join(ROOT, 'dist'))};
      const loaded = () => Object.keys(require.cache).filter((f) => f.startsWith(dist)).length;
      const hw = require(dist + '/index.cjs');
      const before = loaded();
      const E = hw.HeapwatchError;
      let thrown;
      try { hw.configure({ signal: 'yes' }); } catch (e) { thrown = e; }
      console.log(JSON.stringify({ before, after: loaded(), same: E === hw.HeapwatchError,
        instance: thrown instanceof E, code: thrown.code }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 }),
    );
    expect(out).toEqual({
      before: 1,
      after: 3,
      same: true,
      instance: true,
      code: 'ERR_HEAPWATCH_INVALID_ARG',
    });
  });

  test('options, production settings, the snapshot API and HeapDiff load on first use', () => {
    // dist/lazy.cjs is not on the heap (where every full GC would mark it) until something
    // needs it; 'stats', gc() and reading HeapDiff (as `import { HeapDiff }` does) do not.
    const script = `
      const { basename } = require('node:path');
      const dist = ${JSON.stringify(join(ROOT, 'dist'))};
      const loaded = () => Object.keys(require.cache).filter((f) => f.startsWith(dist)).map((f) => basename(f)).sort();
      const hw = require(dist + '/index.cjs');
      const out = { atLoad: loaded() };
      hw.once('stats', () => {
        out.afterStats = loaded();
        out.heapDiff = typeof hw.HeapDiff;
        out.afterRead = loaded();
        new hw.HeapDiff().end();
        out.afterHeapDiff = loaded();
        console.log(JSON.stringify(out));
      });
      hw.gc();`;
    const run = (env: Record<string, string>) =>
      JSON.parse(
        execFileSync(process.execPath, ['-e', script], {
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, ...env },
        }),
      );
    expect(run({ NODE_HEAPDUMP_OPTIONS: '' })).toEqual({
      atLoad: ['index.cjs'],
      afterStats: ['index.cjs'],
      heapDiff: 'function',
      afterRead: ['index.cjs'],
      afterHeapDiff: ['index.cjs', 'lazy.cjs', 'shared.cjs'],
    });
    // Settings to parse: loaded with heapwatch.
    expect(run({ NODE_HEAPDUMP_OPTIONS: 'nosignal' }).atLoad).toEqual([
      'index.cjs',
      'lazy.cjs',
      'shared.cjs',
    ]);
  });
});
