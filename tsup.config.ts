import { defineConfig } from 'tsup';

// JavaScript only: declarations come from tsc (tsconfig.build.json), which keeps the CommonJS
// entry's `export =` intact. One CommonJS bundle; the ESM entry requires it.
export default defineConfig([
  {
    entry: { index: 'src/index.cts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
  },
  {
    entry: { index: 'src/index.mts' },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
    external: ['./index.cjs'],
  },
  // The heapwatch command (package.json "bin"): a bundle of its own, which the library never
  // loads; it carries its own copy of what it uses of src/.
  {
    entry: { cli: 'src/cli/bin.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
