import { defineConfig, type Options } from 'tsup';

// JavaScript only: declarations come from tsc (tsconfig.build.json), which keeps the CommonJS
// entry's `export =` intact.
//
// The CommonJS build is three files: index.cjs (what loading heapwatch runs), lazy.cjs (what
// loads on first use, src/lazy.ts) and shared.cjs (the error classes, src/shared.cts). Imports of
// errors.js from the other two become require('./shared.cjs'), so that each class exists once;
// index.cjs imports it only where an error is made, so loading heapwatch does not load it.
// index.cts loads './lazy.cjs' and './shared.cjs' by those paths.
const SHARED = /^\.\/errors\.js$/;

const cjs: Options = {
  format: ['cjs'],
  outExtension: () => ({ js: '.cjs' }),
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: false,
};

const useShared: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'heapwatch-shared',
  setup(build) {
    build.onResolve({ filter: SHARED }, () => ({ path: './shared.cjs', external: true }));
    build.onResolve({ filter: /^\.\/(lazy|shared)\.cjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};

export default defineConfig([
  {
    entry: { index: 'src/index.mts' },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
  },
  { ...cjs, entry: { shared: 'src/shared.cts' } },
  { ...cjs, entry: { index: 'src/index.cts', lazy: 'src/lazy.ts' }, esbuildPlugins: [useShared] },
  // The heapwatch command (package.json "bin"): a bundle of its own, which the library never
  // loads; it carries its own copy of what it uses of src/.
  { ...cjs, entry: { cli: 'src/cli/bin.ts' }, banner: { js: '#!/usr/bin/env node' } },
]);
