// Where heapwatch puts the snapshots it names itself, and how it names them: `dir` and `name`.
// The name template's grammar is the addon's (native/snapshot_names.h), so that JavaScript and the
// signal path, which names files where no JavaScript runs, can never disagree.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HeapwatchError, invalidArg } from './errors.js';
import { type OptionRules, type RuleContext, type SettingsPatch, valued } from './option-values.js';

function checkDir(value: unknown, name: string): SettingsPatch {
  if (typeof value !== 'string' || value.includes('\0')) {
    throw invalidArg(name, 'a directory path (string without NUL bytes)', value);
  }
  return { dir: value };
}

function checkName(value: unknown, name: string, ctx: RuleContext): SettingsPatch {
  const expected = `a file name template with ${ctx.placeholders}`;
  if (typeof value !== 'string') throw invalidArg(name, expected, value);
  const problem = ctx.checkTemplate(value);
  if (problem) throw invalidArg(name, expected, value, `the template ${problem}`);
  return { name: value };
}

export const snapshotDirRules: OptionRules = {
  env: {
    dir: valued('dir', (text) => checkDir(text, 'dir')),
    name: valued('name', (text, _into, ctx) => checkName(text, 'name', ctx)),
  },
  configure: { dir: checkDir, name: checkName },
};

// mkdir -p, one level at a time (Node 20's recursive mkdirSync loops forever on some paths,
// /proc/x for one). Missing levels are created 0700.
function mkdirs(abs: string): void {
  try {
    mkdirSync(abs, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(abs);
    if (code !== 'ENOENT' || parent === abs) throw error;
    mkdirs(parent);
    mkdirSync(abs, { mode: 0o700 });
  }
}

/**
 * `dir` made absolute against the current directory and created (0700) if missing; '' stays ''
 * (the current directory at write time). Throws a HeapwatchError, having changed nothing else.
 */
export function ensureDir(dir: string): string {
  if (dir === '') return '';
  let abs = dir;
  try {
    abs = resolve(dir);
    mkdirs(abs);
    if (!statSync(abs).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'EIO';
    const why =
      (cause as NodeJS.ErrnoException).syscall === 'uv_cwd' ? ' (the current directory is gone)' : '';
    const error = new HeapwatchError(code, `could not create the snapshot directory ${abs}: ${code}${why}`);
    error.syscall = 'mkdir';
    error.path = abs;
    throw error;
  }
  return abs;
}
