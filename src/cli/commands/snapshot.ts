// heapwatch snapshot <pid> [--timeout 60s]: asks a running heapwatch process for a snapshot and
// prints the complete file's path. It reads what the process published (src/process-status.ts),
// so it knows the signal, directory and name template in force now, and it sends nothing to a
// process that would not answer: for such a process the signal would be fatal.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { loadBinding } from '../../binding.js';
import { duration } from '../../option-values.js';
import { type ProcessStatus, privateDir, startTimeOf, statusDir } from '../../process-status.js';
import { type Command, CommandError, EXIT, UsageError } from '../command.js';
import { formatBytes } from '../progress.js';

/** This command's own exit codes (`heapwatch snapshot --help`). */
export const SNAPSHOT_EXIT = {
  /** The process has no heapwatch that answers a signal: nothing was sent. */
  refused: 3,
  /** No such process. */
  noProcess: 4,
  /** Not allowed to signal it. */
  notPermitted: 5,
  /** No snapshot within --timeout. */
  timeout: 6,
  /** The process answered, and could not write the snapshot (the disk guard, a full disk, ...). */
  snapshotFailed: 7,
} as const;

const fail = (code: number, message: string, hint?: string) => new CommandError(message, hint, code);

function checkAlive(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw fail(SNAPSHOT_EXIT.noProcess, `there is no process ${pid}`);
    if (code === 'EPERM') {
      throw fail(
        SNAPSHOT_EXIT.notPermitted,
        `not allowed to signal process ${pid} (EPERM)`,
        'run this as its user, or as root',
      );
    }
    throw error;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The last signal snapshot's outcome the process published, if it still can be read. */
function lastOutcome(pid: number): ProcessStatus['last'] {
  try {
    return readStatus(pid).last;
  } catch {
    return undefined;
  }
}

/** The uid owning `pid` (real uid, the first of /proc/<pid>/status's Uid line). */
function uidOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

/** Whether `pid` catches `signal` now (/proc/<pid>/status, SigCgt): else the signal would end it. */
function catches(pid: number, signal: string): boolean {
  const mask = /^SigCgt:\s+([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  const signo = constants.signals[signal as keyof typeof constants.signals];
  return (
    mask !== undefined && signo !== undefined && ((BigInt(`0x${mask}`) >> BigInt(signo - 1)) & 1n) === 1n
  );
}

/** Bytes in the process's temporary snapshot file (`.heapwatch-<pid>-<n>.tmp`) while it writes. */
function writtenSoFar(dir: string, pid: number): number | undefined {
  const temp = readdirSync(dir).find((f) => f.startsWith(`.heapwatch-${pid}-`) && f.endsWith('.tmp'));
  try {
    return temp === undefined ? undefined : statSync(join(dir, temp)).size;
  } catch {
    return undefined; // renamed in the meantime: complete
  }
}

/** What the process published, from this mount namespace or, in a container, from its own. */
function readStatus(pid: number): ProcessStatus {
  const uid = uidOf(pid);
  for (const root of ['', `/proc/${pid}/root`]) {
    const dir = statusDir(uid, root);
    if (!privateDir(dir, uid)) continue;
    let status: ProcessStatus;
    try {
      status = JSON.parse(readFileSync(join(dir, `${pid}.json`), 'utf8'));
    } catch {
      continue;
    }
    // A file left by an earlier process with the same pid says nothing about this one.
    if (status.pid === pid && status.startTime === startTimeOf(pid)) return status;
  }
  throw fail(
    SNAPSHOT_EXIT.refused,
    `process ${pid} has not loaded heapwatch (nothing in ${statusDir(uid)}): nothing was sent`,
    "sending it a snapshot signal would end it; load heapwatch in it first (require('heapwatch'))",
  );
}

export const snapshot: Command = {
  name: 'snapshot',
  summary: 'ask a running process with heapwatch for a heap snapshot, and print the file',
  positionals: [{ name: 'pid', description: 'the process id' }],
  options: [
    {
      name: 'timeout',
      value: 'DURATION',
      description: 'how long to wait for the complete file: 60s, 5m, or milliseconds (default 60s)',
      parse: (raw) => {
        try {
          return duration(raw, '--timeout');
        } catch {
          throw new UsageError(`--timeout takes a duration such as 60s, 5m or 1500 (ms), not "${raw}"`);
        }
      },
      default: 60_000,
    },
  ],
  details: [
    'The process must have heapwatch loaded with its snapshot signal on (the default, SIGUSR2): the ' +
      'command reads which signal, directory and name template it uses now, from what heapwatch ' +
      'publishes in /tmp/heapwatch-<uid>/, and sends nothing otherwise. It prints the path once the ' +
      'file is complete (never a temporary one). A process busy in JavaScript answers at once; one ' +
      'blocked in a system call answers when the call returns.',
    'Exit codes of this command besides 0, 1 and 2: 3 the process has no heapwatch answering a ' +
      'signal (nothing sent), 4 no such process, 5 not allowed to signal it, 6 no snapshot within ' +
      '--timeout, 7 the process could not write the snapshot (the disk guard refused, a full disk).',
  ],
  async run({ args, options, out }) {
    const pid = Number(args[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0)
      throw new UsageError(`<pid> must be a process id, not "${args[0]}"`);
    if (process.platform !== 'linux') throw fail(EXIT.failed, 'heapwatch snapshot reads /proc: Linux only');
    checkAlive(pid);
    const status = readStatus(pid);
    if (status.signal === null) {
      throw fail(
        SNAPSHOT_EXIT.refused,
        `process ${pid} has heapwatch with its snapshot signal off (nosignal, or configure({ signal: false })): nothing was sent`,
        'turn it on in the process: heapwatch.configure({ signal: true })',
      );
    }
    if (!catches(pid, status.signal)) {
      throw fail(
        SNAPSHOT_EXIT.refused,
        `process ${pid} does not handle ${status.signal} now: nothing was sent`,
      );
    }
    const dir = status.dir !== '' ? status.dir : readlinkSync(`/proc/${pid}/cwd`);
    const binding = loadBinding();
    const ours = () => readdirSync(dir).filter((f) => binding.nameMatches(status.name, f));
    const before = new Set(ours());
    const sentAt = Date.now();
    try {
      process.kill(pid, status.signal);
    } catch (error) {
      checkAlive(pid);
      throw error;
    }
    const timeout = options.timeout as number;
    const drawn = out.stderr.isTTY && !out.quiet && !out.json;
    const clear = () => drawn && out.stderr.write('\r\x1b[K');
    for (;;) {
      const fresh = ours().filter((f) => !before.has(f));
      if (fresh.length > 0) {
        clear();
        const path = join(dir, fresh.sort().at(-1)!);
        const bytes = statSync(path).size;
        if (out.json) out.stdout.write(`${JSON.stringify({ pid, path, bytes, ms: Date.now() - sentAt })}\n`);
        else out.stdout.write(`${path}\n`);
        return EXIT.ok;
      }
      if (!alive(pid)) {
        // It may have written the file and ended in the same moment: look once more.
        if (ours().some((f) => !before.has(f))) continue;
        clear();
        throw fail(EXIT.failed, `process ${pid} ended before its snapshot was complete`);
      }
      const last = lastOutcome(pid);
      if (last?.error && last.at >= sentAt) {
        clear();
        throw fail(
          SNAPSHOT_EXIT.snapshotFailed,
          `process ${pid} could not write the snapshot: ${last.error.message}`,
        );
      }
      const waited = Date.now() - sentAt;
      if (waited > timeout) {
        clear();
        throw fail(
          SNAPSHOT_EXIT.timeout,
          `no snapshot from process ${pid} within ${Math.round(timeout / 1000)} s`,
          'a process blocked in a system call (a synchronous read, say) answers only when it returns; try a longer --timeout',
        );
      }
      if (drawn && waited > 1000) {
        const written = writtenSoFar(dir, pid);
        const what =
          written === undefined
            ? ''
            : written === 0
              ? ', building the graph'
              : `, ${formatBytes(written)} written`;
        out.stderr.write(
          `\rwaiting for process ${pid}'s snapshot (${Math.floor(waited / 1000)} s${what})\x1b[K`,
        );
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  },
};
