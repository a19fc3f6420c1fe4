// Out-of-range and absurd option values, and settings changed where the process cannot follow
// (a deleted working directory): refused with a message naming them, and all or nothing.
import { describe, expect, it } from 'vitest';
import { result, run, tempDir } from '../helpers.js';

const script = (cwd: string, code: string, env: Record<string, string> = {}) =>
  result('script.cjs', { cwd, args: [code], env, stderr: true });

describe('numbers the addon could not hold', () => {
  it('from the environment: named on stderr, ignored, and the setting stays off', async () => {
    const dir = tempDir();
    const exit = await run('script.cjs', {
      cwd: dir,
      args: [`say('result', heapwatch.settings);`],
      env: { NODE_HEAPDUMP_OPTIONS: 'oommax=4294967296,keep=99999999999,leakmax=2147483648,nosignal' },
    });
    expect(exit.code).toBe(0);
    const lines = exit.stderr.split('\n').filter((l) => l.startsWith('heapwatch:'));
    expect(lines).toEqual([
      'heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "oommax=4294967296": Expected a whole number from 1 to 1000 for `oommax` but received "4294967296" (string)',
      'heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "keep=99999999999": Expected a whole number from 1 to 100000 for `keep` but received "99999999999" (string)',
      'heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "leakmax=2147483648": Expected a whole number from 1 to 1000 for `leakmax` but received "2147483648" (string)',
    ]);
    const settings = JSON.parse(exit.stdout.split('@result ')[1]!);
    expect(settings).toMatchObject({ heapLimit: false, keep: false, snapshotOnLeak: false, signal: false });
  });

  it('through configure(): thrown, and nothing else of that call applied', async () => {
    const out = await script(
      tempDir(),
      `const before = heapwatch.settings;
       const tries = [{ keep: 3, heapLimit: { max: 2 ** 31 } }, { keep: 3, name: 'x'.repeat(5000) + '{seq}' },
         { keep: 3, snapshotOnLeak: { cooldown: 1e300 } }, { keep: 3, leak: { minGrowth: Infinity } }];
       const errors = [];
       for (const t of tries) { try { heapwatch.configure(t); } catch (e) { errors.push(e); } }
       say('result', { errors, same: JSON.stringify(before) === JSON.stringify(heapwatch.settings) });`,
    );
    expect(out.same).toBe(true);
    expect(out.errors.map((e: { code: string }) => e.code)).toEqual(
      Array(4).fill('ERR_HEAPWATCH_INVALID_ARG'),
    );
    expect(out.errors[0].message).toMatch(/`options.heapLimit.max` but received 2147483648/);
    expect(out.errors[1].message).toMatch(
      /`options.name` .*can expand to 5020 bytes, more than a file name may have/,
    );
    expect(out.errors[2].message).toMatch(/`options.snapshotOnLeak.cooldown`/);
    expect(out.errors[3].message).toMatch(/`options.leak.minGrowth` but received Infinity/);
  });
});

describe('a working directory that was deleted', () => {
  it('configure({ keep }) works; a relative dir is refused with a clear error; nothing half-applied', async () => {
    const dir = tempDir();
    const out = await script(
      dir,
      `const fs = require('node:fs');
       fs.mkdirSync('gone'); process.chdir('gone'); fs.rmdirSync(${JSON.stringify(`${dir}/gone`)});
       const keep = (() => { try { heapwatch.configure({ keep: 3 }); return heapwatch.settings.keep; } catch (e) { return e; } })();
       const before = heapwatch.settings;
       let relative;
       try { heapwatch.configure({ keep: 5, dir: 'snaps' }); } catch (e) { relative = e; }
       say('result', { keep, relative, same: JSON.stringify(before) === JSON.stringify(heapwatch.settings) });`,
    );
    expect(out.keep).toBe(3);
    expect(out.relative).toMatchObject({ code: 'ENOENT', syscall: 'mkdir' });
    expect(out.relative.message).toBe(
      'could not create the snapshot directory snaps: ENOENT (the current directory is gone)',
    );
    expect(out.same).toBe(true);
  });

  it('from the environment: the bad dir is named, not "undefined"', async () => {
    const dir = tempDir();
    const exit = await run('script.cjs', {
      cwd: dir,
      args: [`say('result', heapwatch.settings.dir);`],
      env: { NODE_HEAPDUMP_OPTIONS: 'keep=2,dir=/proc/self/nope/x,nosignal' },
    });
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(
      /^heapwatch: ignoring NODE_HEAPDUMP_OPTIONS item "dir=\/proc\/self\/nope\/x": could not create the snapshot directory \/proc\/self\/nope\/x: ENOENT$/m,
    );
    expect(exit.stderr).not.toMatch(/undefined/);
  });
});
