// What a process with heapwatch tells `heapwatch snapshot <pid>`: which signal it answers now,
// where its snapshots go and how they are named (configure() included), and how its last signal
// snapshot ended. One small file per process, /tmp/heapwatch-<uid>/<pid>.json, in a directory
// only its user can use; rewritten when the settings change, removed when the process exits.
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** The file's content. */
export interface ProcessStatus {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells this process from a later one with the same pid. */
  startTime: string;
  /** The snapshot signal, or null when heapwatch answers none. */
  signal: string | null;
  /** Absolute; '' means the process's current directory at write time. */
  dir: string;
  name: string;
  /** The last signal snapshot's outcome, once there was one. */
  last?: { path?: string; error?: { code: string; message: string }; at: number };
}

/** The directory for `uid`'s processes, as seen from the root `root` ('' = this mount namespace). */
export const statusDir = (uid: number, root = '') => `${root}/tmp/heapwatch-${uid}`;

/** /proc/<pid>/stat's start time, or '' where there is none. */
export function startTimeOf(pid: number | 'self'): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/**
 * Whether `dir` is one only `uid` can use: a real directory (not a link), owned by `uid`, with no
 * access for group or others. A directory planted by someone else is never written to or read.
 */
export function privateDir(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Writes this process's status (main thread only). Best effort: a failure is silent. */
export class StatusFile {
  #status: ProcessStatus | undefined;
  #file = '';

  publish(status: Omit<ProcessStatus, 'pid' | 'startTime' | 'last'>): void {
    if (process.platform !== 'linux' || typeof process.getuid !== 'function') return;
    if (this.#status === undefined) {
      const dir = statusDir(process.getuid());
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch {}
      if (!privateDir(dir, process.getuid())) return;
      this.#file = join(dir, `${process.pid}.json`);
      removeStale(dir);
      process.once('exit', () => rmSync(this.#file, { force: true }));
    }
    this.#status = { pid: process.pid, startTime: startTimeOf('self'), ...status, last: this.#status?.last };
    this.#write();
  }

  /** After a signal snapshot: its path or its error. */
  signalled(last: NonNullable<ProcessStatus['last']>): void {
    if (this.#status === undefined) return;
    this.#status.last = last;
    this.#write();
  }

  // A temporary file, then a rename: a reader never sees half a file.
  #write(): void {
    const temp = `${this.#file}.tmp`;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(this.#status));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.#file);
    } catch {
      rmSync(temp, { force: true });
    }
  }
}

// Files of processes that are gone (a crash, SIGKILL): in this user's own directory only.
function removeStale(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(/^(\d+)\.json$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dir, name), { force: true });
    }
  }
}
