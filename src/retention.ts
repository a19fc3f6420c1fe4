// `keep`: delete the oldest snapshots heapwatch wrote in a directory beyond N.
//
// Which files are heapwatch's own is proven, not guessed. When the addon writes a snapshot under
// a name it generated, it appends "<inode> <size> <name>" to <dir>/.heapwatch-ledger (0600,
// O_APPEND, native/snapshot_ledger.cc), for every trigger, in C++, before anything else can
// happen (a heap-limit snapshot is recorded even though the process dies right after).
// A file is deleted only when all of these hold:
//   1. the ledger of its directory lists it;
//   2. its name matches the pattern of the name template configured now;
//   3. it is a regular file with the inode and size the ledger recorded (not replaced or edited);
//   4. more than `keep` such files are newer in the ledger than it.
// A file heapwatch did not write is never in a ledger, so it is never deleted, whatever its name.
// Names given by the caller (writeSnapshot('x.heapsnapshot')) are not recorded either.
// Runs in JS: after each API and leak snapshot, when a signal or heap-limit snapshot reaches JS as
// a 'snapshot' event, and when `keep` or `dir` is configured (which also cleans up after
// processes that died on their heap limit).
import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { templatePattern } from './naming.js';

export const LEDGER = '.heapwatch-ledger';

export interface LedgerEntry {
  ino: string;
  size: string;
  name: string;
}

export function parseLedger(text: string): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+) (.+)$/.exec(line);
    if (m) out.push({ ino: m[1]!, size: m[2]!, name: m[3]! });
  }
  return out;
}

function isOwn(dir: string, e: LedgerEntry): boolean {
  try {
    const st = lstatSync(join(dir, e.name), { bigint: true });
    return st.isFile() && String(st.ino) === e.ino && String(st.size) === e.size;
  } catch {
    return false;
  }
}

export interface PruneResult {
  /** Names deleted, oldest first. */
  deleted: string[];
  /** Names of heapwatch's snapshots that remain under the template, oldest first. */
  kept: string[];
}

/** Deletes heapwatch's oldest snapshots in `dir` beyond `keep` (see the rule above). */
export function prune(dir: string, template: string, keep: number): PruneResult {
  let text: string;
  try {
    text = readFileSync(join(dir, LEDGER), 'utf8');
  } catch {
    return { deleted: [], kept: [] };
  }
  const lines = parseLedger(text);
  // One entry per name, at the position of its latest write.
  const latest = new Map<string, LedgerEntry>();
  for (const e of lines) {
    latest.delete(e.name);
    latest.set(e.name, e);
  }
  const pattern = templatePattern(template);
  const own = [...latest.values()].filter((e) => pattern.test(e.name) && isOwn(dir, e));
  const excess = Math.max(0, own.length - keep);
  const deleted: string[] = [];
  for (const e of own.slice(0, excess)) {
    try {
      unlinkSync(join(dir, e.name));
      deleted.push(e.name);
    } catch {
      // Gone already, or not ours to delete after all: leave it.
    }
  }
  // Keep the ledger short: drop lines for files that are gone. A line another process appends
  // meanwhile may be lost; its file is then never deleted (the safe direction).
  if (lines.length > 2 * keep + 32) {
    const gone = new Set(deleted);
    const remaining = [...latest.values()].filter((e) => !gone.has(e.name) && isOwn(dir, e));
    rewriteLedger(dir, remaining);
  }
  return { deleted, kept: own.slice(excess).map((e) => e.name) };
}

function rewriteLedger(dir: string, entries: LedgerEntry[]): void {
  const temp = join(dir, `${LEDGER}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, entries.map((e) => `${e.ino} ${e.size} ${e.name}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(dir, LEDGER));
  } catch {
    try {
      unlinkSync(temp);
    } catch {}
  }
}
