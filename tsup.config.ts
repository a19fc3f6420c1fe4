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

// heapwatch/prometheus and heapwatch/opentelemetry (src/metrics/): they use heapwatch through
// dist/index.cjs (the same object as require('heapwatch')) and its errors through dist/shared.cjs;
// prom-client and @opentelemetry/api (peer dependencies) stay external.
const useCore: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'heapwatch-metrics',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.cjs$/ }, () => ({ path: '../index.cjs', external: true }));
    build.onResolve({ filter: /^\.\.\/errors\.js$/ }, () => ({ path: '../shared.cjs', external: true }));
  },
};
const METRICS = ['prometheus', 'opentelemetry'];

export default defineConfig([
  {
    entry: {
      index: 'src/index.mts',
      ...Object.fromEntries(METRICS.map((m) => [`metrics/${m}`, `src/metrics/${m}.mts`])),
    },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
  },
  { ...cjs, entry: { shared: 'src/shared.cts' } },
  { ...cjs, entry: { index: 'src/index.cts', lazy: 'src/lazy.ts' }, esbuildPlugins: [useShared] },
  {
    ...cjs,
    entry: Object.fromEntries(METRICS.map((m) => [`metrics/${m}`, `src/metrics/${m}.ts`])),
    esbuildPlugins: [useCore],
  },
]);
