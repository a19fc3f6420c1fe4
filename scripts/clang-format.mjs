// Formats (or with --check, verifies) the C++ in native/ with the pinned clang-format.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const check = process.argv.includes('--check');
const root = join(import.meta.dirname, '..');
const files = readdirSync(join(root, 'native'))
  .filter((f) => /\.(cc|h)$/.test(f))
  .map((f) => join(root, 'native', f));
const bin = createRequire(import.meta.url).resolve('clang-format/index.js');
const args = check ? ['--dry-run', '--Werror', ...files] : ['-i', ...files];
const result = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
if (result.status !== 0) {
  if (check) console.error('C++ is not formatted: run `npm run format`.');
  process.exit(result.status ?? 1);
}
