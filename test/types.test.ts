// The declarations in fresh projects, as users set them up: `tsc --init`'s defaults (strict,
// verbatimModuleSyntax, exactOptionalPropertyTypes, no ambient types) with skipLibCheck off, in a
// CommonJS and an ES module project, with TypeScript 5.9 and the newest on the registry (7.x).
// A misspelled event or a listener of the wrong shape must be an error where it is written.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers.js';

const COMPILERS = {
  'TypeScript 5.9': join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
  'TypeScript 7': join(ROOT, 'node_modules', 'typescript-7', 'bin', 'tsc'),
};

const USES = `
  heapwatch.on('stats', (stats) => {
    const base: number = stats.current_base;
    console.log(base, stats.usage_trend);
  });
  heapwatch.on('leak', (info) => console.log(info.reason, info.start.toISOString()));
  heapwatch.on('snapshot', (e) => console.log('error' in e ? e.error.code : e.path));
  // @ts-expect-error: no event 'stat'
  heapwatch.on('stat', () => {});
  // @ts-expect-error: 'leak' listeners take LeakInformation
  heapwatch.on('leak', (n: number) => console.log(n));
  heapwatch.writeSnapshot((err, filename) => {
    if (err) console.log(err.code.toLowerCase(), err.errno, err.syscall, err.path);
    else console.log(filename);
  });
  const ok: boolean = heapwatch.writeSnapshot('/tmp/x.heapsnapshot');
  const diff = new heapwatch.HeapDiff();
  for (const d of diff.end({ retainers: 1 }).change.details) console.log(d.what, d['+'], d.retainers);
  heapwatch.configure({ keep: 3, leak: 'memwatch' });
  // @ts-expect-error: keep takes a number or false
  heapwatch.configure({ keep: '3' });
  console.log(ok, heapwatch.settings.dir);
`;

function project(tsc: string, kind: 'commonjs' | 'module', withNodeTypes: boolean): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: kind }));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'heapwatch'));
  // The old name, as the README's migration aliases it.
  symlinkSync(ROOT, join(dir, 'node_modules', 'memwatch-next'));
  if (withNodeTypes)
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
  execFileSync(process.execPath, [tsc, '--init'], { cwd: dir, stdio: 'ignore' });
  // tsc --init writes a commented JSON file: set the two options the test is about in its text.
  let config = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
  config = config.replace(/"skipLibCheck": true/, '"skipLibCheck": false');
  if (withNodeTypes) config = config.replace(/"types": \[\]/, '"types": ["node"]');
  expect(config).toMatch(/"skipLibCheck": false/);
  writeFileSync(join(dir, 'tsconfig.json'), config);
  const code =
    kind === 'module'
      ? `import heapwatch, { HeapDiff, snapshot, type SnapshotInfo } from 'heapwatch';
         ${USES}
         const info: SnapshotInfo = await snapshot({ dir: '/tmp' });
         console.log(info.bytes, new HeapDiff().end().change.size);`
      : `import heapwatch = require('heapwatch');
         import memwatch = require('memwatch-next');
         ${USES}
         memwatch.on('stats', (stats: memwatch.StatsInformation) => console.log(stats.num_full_gc));
         heapwatch.snapshot().then((info: heapwatch.SnapshotInfo) => console.log(info.path));`;
  writeFileSync(join(dir, 'index.ts'), code);
  return dir;
}

describe('the declarations in a fresh project (tsc --init, skipLibCheck off)', () => {
  for (const [name, tsc] of Object.entries(COMPILERS)) {
    for (const kind of ['commonjs', 'module'] as const) {
      for (const withNodeTypes of [false, true]) {
        it(`${name}, ${kind === 'module' ? 'ES module' : 'CommonJS'} project, ${withNodeTypes ? 'with' : 'without'} @types/node`, () => {
          const dir = project(tsc, kind, withNodeTypes);
          let output = '';
          try {
            execFileSync(process.execPath, [tsc, '-p', '.', '--noEmit'], {
              cwd: dir,
              encoding: 'utf8',
              timeout: 90_000,
            });
          } catch (error) {
            output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
          }
          expect(output).toBe('');
        }, 120_000);
      }
    }
  }
});
