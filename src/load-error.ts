// The error loadBinding throws. Apart from it (in dist/lazy.cjs), so that this text is loaded, and
// kept on the heap, only when the addon could not be loaded.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HeapwatchError } from './errors.js';

export const SUPPORTED_NODE = '20, 22, 24 and 26 (linux-x64 prebuilt; elsewhere built from source)';

/** Why loadBinding failed, what it tried and what to do, as a HeapwatchError. */
export function loadError(root: string, cause: unknown): HeapwatchError {
  const tried = [
    join(root, 'prebuilds', `${process.platform}-${process.arch}`),
    join(root, 'build', 'Release'),
    join(root, 'build', 'Debug'),
  ].map((dir) => `  ${dir}${existsSync(dir) ? '' : ' (missing)'}`);
  const error = new HeapwatchError(
    'ERR_HEAPWATCH_NATIVE_LOAD',
    [
      `heapwatch could not load its native addon for Node ${process.version} ` +
        `(${process.platform}-${process.arch}, ABI ${process.versions.modules}).`,
      'Tried:',
      ...tried,
      `Reason: ${(cause as Error)?.message?.split('\n')[0] ?? String(cause)}`,
      'What to do:',
      `  - use a supported Node.js: ${SUPPORTED_NODE};`,
      '  - after changing Node versions, if heapwatch was built from source: ' +
        '`npm rebuild heapwatch --build-from-source`;',
      '  - to build from source, install python3, make and a C++20 compiler (g++ 10+ or clang 12+),',
      "    then `npm rebuild heapwatch` (recent npm runs a dependency's install script only when",
      '    package.json\'s "allowScripts" lists it: `npm install-scripts approve heapwatch`).',
    ].join('\n'),
  );
  (error as Error & { cause?: unknown }).cause = cause;
  return error;
}
