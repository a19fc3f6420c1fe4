import { defineConfig, type Options } from 'tsup';

// JavaScript only: declarations come from tsc (tsconfig.build.json), which keeps the CommonJS
// entry's `export =` intact. One CommonJS bundle for the library; the ESM entries require their
// CommonJS builds. heapwatch/prometheus and heapwatch/opentelemetry use heapwatch through
// dist/index.cjs (the same object as require('heapwatch')); their peers (prom-client,
// @opentelemetry/api) stay external. The heapwatch command is a bundle of its own, which the
// library never loads.
const node: Options = { target: 'node20', platform: 'node', sourcemap: true, clean: false };
const cjs: Options = { ...node, format: ['cjs'], outExtension: () => ({ js: '.cjs' }) };
const METRICS = ['prometheus', 'opentelemetry'];

const useLibrary: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'heapwatch-library',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.cjs$/ }, () => ({ path: '../index.cjs', external: true }));
  },
};

export default defineConfig([
  { ...cjs, entry: { index: 'src/index.cts' } },
  {
    ...node,
    entry: {
      index: 'src/index.mts',
      ...Object.fromEntries(METRICS.map((m) => [`metrics/${m}`, `src/metrics/${m}.mts`])),
    },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    external: ['./index.cjs', './prometheus.cjs', './opentelemetry.cjs'],
  },
  {
    ...cjs,
    entry: Object.fromEntries(METRICS.map((m) => [`metrics/${m}`, `src/metrics/${m}.ts`])),
    esbuildPlugins: [useLibrary],
  },
  { ...cjs, entry: { cli: 'src/cli/bin.ts' }, banner: { js: '#!/usr/bin/env node' } },
]);
