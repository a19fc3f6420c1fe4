// The snapshot signal: `signal`, `nosignal` and `signal=SIGHUP`; configure({ signal }). Which
// signals heapwatch may take over is the addon's list (facts().signals); why the others may not
// is said here.
import { constants } from 'node:os';
import { invalidArg } from './errors.js';
import { flag, type OptionRules, type RuleContext, type SettingsPatch } from './option-values.js';

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
export function snapshotSignal(value: string, available: readonly string[]): string {
  const upper = value.trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (available.includes(name)) return name;
  const reason = REFUSED[name];
  if (reason !== undefined) throw new Error(reason);
  if (name in constants.signals)
    throw new Error(`${name} is not one heapwatch takes over on ${process.platform}`);
  throw new Error(`there is no signal ${name}`);
}

function checkSignal(value: unknown, name: string, ctx: RuleContext): SettingsPatch {
  if (typeof value === 'boolean') return { signal: value };
  const expected = `a boolean or one of ${ctx.signals.join(', ')}`;
  if (typeof value !== 'string') throw invalidArg(name, expected, value);
  try {
    return { signal: true, signalName: snapshotSignal(value, ctx.signals) };
  } catch (error) {
    throw invalidArg(name, expected, value, (error as Error).message);
  }
}

export const signalRules: OptionRules = {
  env: {
    // `signal` turns the handler on; `signal=SIGHUP` also chooses the signal.
    signal: (value, into, _warn, ctx) => {
      Object.assign(into, value === undefined ? { signal: true } : checkSignal(value, 'signal', ctx));
    },
    nosignal: flag((into) => {
      into.signal = false;
    }),
  },
  configure: { signal: checkSignal },
};
