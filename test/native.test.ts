// The addon loader's failure message: what was tried, and what to do.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { HeapwatchError } from '../src/errors.js';
import { loadError as explain } from '../src/load-error.js';
import { loadBinding, prebuildFor } from '../src/native.js';
import { ROOT, tempDir } from './helpers.js';

function loadError(root: string): HeapwatchError {
  try {
    loadBinding(root, explain);
  } catch (e) {
    return e as HeapwatchError;
  }
  throw new Error(`loadBinding(${root}) did not fail`);
}

function expectHelpfulMessage(error: HeapwatchError, root: string) {
  expect(error).toBeInstanceOf(HeapwatchError);
  expect(error.code).toBe('ERR_HEAPWATCH_NATIVE_LOAD');
  const message = error.message;
  expect(message).toContain(process.version);
  expect(message).toContain(`${process.platform}-${process.arch}`);
  expect(message).toContain(
    `Tried:\n  ${join(root, 'prebuilds', `${process.platform}-${process.arch}`)} (missing)`,
  );
  expect(message).toContain(`${join(root, 'build', 'Release')} (missing)`);
  expect(message).toMatch(/Node\.js: 20, 22, 24 and 26/);
  expect(message).toContain('npm rebuild heapwatch');
  expect(message).toMatch(/C\+\+20 compiler/);
  expect(error.cause).toBeDefined();
}

test('loadBinding("/nonexistent") says what it tried, why it failed and what to do', () => {
  const error = loadError('/nonexistent');
  expectHelpfulMessage(error, '/nonexistent');
  // The reason is the missing build, not heapwatch's own loader.
  expect(error.message).not.toMatch(/Cannot find module 'node-gyp-build'/);
  expect(error.message).toMatch(/Reason: .*No native build was found/);
});

test('a package root without a build gives the same help', () => {
  const root = tempDir();
  mkdirSync(join(root, 'build'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const error = loadError(root);
  expectHelpfulMessage(error, root);
  expect(error.message).toMatch(/Reason: .*No native build was found/);
});

test('the real package root loads; the functions beyond what loading uses come with more()', () => {
  const binding = loadBinding(ROOT);
  expect(typeof binding.gcSetInterest).toBe('function');
  expect('writeSnapshot' in binding).toBe(false);
  const all = binding.more();
  expect(all).toBe(binding);
  expect(typeof all.writeSnapshot).toBe('function');
  expect(typeof all.heapDiffStart).toBe('function');
  const write = all.writeSnapshot;
  expect(binding.more().writeSnapshot).toBe(write);
});

test('prebuildFor picks the binary tagged with the ABI (and this libc), as prebuildify names them', () => {
  const root = tempDir();
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(dir, { recursive: true });
  for (const f of [
    'heapwatch.abi115.glibc.node',
    'heapwatch.abi127.glibc.node',
    'heapwatch.abi127.musl.node',
    'heapwatch.abi1270.glibc.node',
    'heapwatch.abi137.glibc.node.tmp',
  ])
    writeFileSync(join(dir, f), '');
  const libc = existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
  expect(prebuildFor(root, 127)).toBe(join(dir, `heapwatch.abi127.${libc}.node`));
  expect(prebuildFor(root, 137)).toBeUndefined();
  expect(prebuildFor(root, 1)).toBeUndefined();
  expect(prebuildFor('/nonexistent', 115)).toBeUndefined();
});

test('watchSignal takes the snapshot signals by name and refuses any other without watching it', () => {
  // The addon maps the names itself (loading heapwatch needs no node:os). EINVAL is -22 on Linux.
  const binding = loadBinding(ROOT);
  for (const name of ['SIGUSR1', 'SIGTERM', 'SIGINT', 'USR2', 'sigusr2', '']) {
    expect(binding.watchSignal(name), name).toBe(-22);
  }
  expect(() => binding.watchSignal(12 as unknown as string)).toThrow(TypeError);
});

test("gcSetInterest refuses a record layout other than the addon's", () => {
  // dist/ and the addon from different builds would read each other's records wrongly.
  const binding = loadBinding(ROOT);
  expect(() => binding.gcSetInterest(true, false, 3)).toThrow(
    /GC records have 24 fields, the JavaScript reads 3 \(the addon and dist\/ come from different builds\)/,
  );
});
