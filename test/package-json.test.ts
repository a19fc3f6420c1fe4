// Pins what a user's install depends on, so that it cannot drift without this test changing:
// the install script, the published files, and what the from-source fallback needs.
// (`npm run test:package` tests the real tarball; `npm run check:package` lints it.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('package.json', () => {
  test('install: node-gyp-build (a matching prebuild: nothing; none: build from source)', () => {
    expect(pkg.scripts.install).toBe('node-gyp-build');
    expect(pkg.scripts.preinstall).toBeUndefined();
    expect(pkg.scripts.postinstall).toBeUndefined();
    expect(pkg.gypfile).toBe(true);
    // Both are needed at install and run time, so neither may be a devDependency.
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['node-addon-api', 'node-gyp-build']);
  });

  test('files: the build, the prebuilds, and the sources of the from-source fallback; nothing else', () => {
    expect(pkg.files).toEqual(['dist', 'prebuilds', 'native', 'binding.gyp']);
  });

  test('packing builds the TypeScript and the prebuilds; prepare (git installs) builds the TypeScript', () => {
    expect(pkg.scripts.prepack).toBe('npm run build:ts && node scripts/prebuild.mjs');
    expect(pkg.scripts.prepare).toBe('npm run build:ts');
    // `prebuild` would be npm's pre-hook of `build`: the script is named build:prebuilds.
    expect(pkg.scripts.prebuild).toBeUndefined();
    expect(pkg.scripts['build:prebuilds']).toBe('node scripts/prebuild.mjs');
  });

  test('engines: the majors with a prebuilt binary; sideEffects: loading installs a signal handler', () => {
    expect(pkg.engines).toEqual({ node: '^20.0.0 || ^22.0.0 || ^24.0.0 || ^26.0.0' });
    expect(pkg.sideEffects).toBe(true);
  });

  test('npm test lints the package (publint, attw); .ci/run tests the tarball', () => {
    expect(pkg.scripts.test).toContain('npm run check:package');
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(/^npm run test:package$/m);
  });

  test('binding.gyp compiles exactly the .cc files that native/ ships', () => {
    const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8'));
    const sources: string[] = gyp.targets[0].sources;
    const shipped = readdirSync(join(root, 'native'))
      .filter((f) => f.endsWith('.cc'))
      .map((f) => `native/${f}`);
    expect([...sources].sort()).toEqual(shipped.sort());
  });

  test('prebuilds are built when packing, never committed', () => {
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toMatch(/^prebuilds\/$/m);
  });
});
