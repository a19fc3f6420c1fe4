// Which signals may ask for a snapshot, and why the others may not.
import { constants } from 'node:os';

/** Signals heapwatch can take over: nothing else in Node or the kernel needs them. */
export const SNAPSHOT_SIGNALS = ['SIGUSR2', 'SIGHUP', 'SIGWINCH', 'SIGURG', 'SIGPWR', 'SIGINFO'] as const;

const REFUSED: Readonly<Record<string, string>> = {
  SIGUSR1: "Node's inspector uses SIGUSR1 (it starts the debugger)",
  SIGKILL: 'SIGKILL cannot be caught',
  SIGSTOP: 'SIGSTOP cannot be caught',
  SIGINT: 'SIGINT must keep ending the process (Ctrl-C)',
  SIGTERM: 'SIGTERM must keep ending the process (docker stop, kill)',
  SIGQUIT: 'SIGQUIT must keep ending the process',
  SIGSEGV: 'SIGSEGV reports a crash; handling it would hide one',
  SIGBUS: 'SIGBUS reports a crash; handling it would hide one',
  SIGFPE: 'SIGFPE reports a crash; handling it would hide one',
  SIGILL: 'SIGILL reports a crash; handling it would hide one',
  SIGTRAP: 'SIGTRAP belongs to debuggers',
  SIGABRT: 'SIGABRT is how Node aborts on fatal errors',
  SIGSYS: 'SIGSYS reports a bad system call',
  SIGPIPE: 'Node ignores SIGPIPE on purpose',
  SIGCHLD: 'SIGCHLD tells Node about its child processes',
  SIGALRM: 'SIGALRM belongs to timers',
  SIGVTALRM: 'SIGVTALRM belongs to timers',
  SIGPROF: 'SIGPROF belongs to profilers',
  SIGCONT: 'SIGCONT is job control',
  SIGTSTP: 'SIGTSTP is job control',
  SIGTTIN: 'SIGTTIN is job control',
  SIGTTOU: 'SIGTTOU is job control',
};

/**
 * The canonical name ("SIGHUP") for a snapshot signal given as "SIGHUP", "HUP" or "sighup";
 * throws an Error whose message says why any other is refused.
 */
export function snapshotSignal(value: string): string {
  const upper = value.trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const available = SNAPSHOT_SIGNALS.filter((s) => s in constants.signals);
  if ((available as readonly string[]).includes(name)) return name;
  const reason = REFUSED[name];
  if (reason !== undefined) throw new Error(reason);
  if (name in constants.signals || (SNAPSHOT_SIGNALS as readonly string[]).includes(name)) {
    throw new Error(`${name} is not one heapwatch takes over on ${process.platform}`);
  }
  throw new Error(`there is no signal ${name}`);
}

/** The list for error messages: the signals this platform has. */
export function snapshotSignalList(): string {
  return SNAPSHOT_SIGNALS.filter((s) => s in constants.signals).join(', ');
}
