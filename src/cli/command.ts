// What a subcommand of the heapwatch command is: its help, its options and what it does. Each
// subcommand is one file in commands/ exporting one Command; commands/index.ts lists them.

/** Exit codes, documented in `heapwatch --help`. */
export const EXIT = {
  /** The command did what was asked. */
  ok: 0,
  /** It could not: a file that cannot be read, is not a snapshot, or snapshots that do not fit. */
  failed: 1,
  /** The command line is wrong: an unknown option, a missing file argument. */
  usage: 2,
} as const;

export type ExitCode = number;

/** One `--name [VALUE]` option. */
export interface OptionSpec {
  name: string;
  /** Placeholder of the value, e.g. `N`; absent for a flag. */
  value?: string;
  description: string;
  /** Parses and checks the value; throws UsageError with a message naming the option. */
  parse?: (raw: string) => unknown;
  default?: unknown;
}

/** What a command's run() gets. */
export interface CommandContext {
  /** Positional arguments, as many as `positionals` names. */
  args: string[];
  /** Option values by name (flags are booleans), defaults filled in. */
  options: Record<string, unknown>;
  out: Output;
}

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Output {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  json: boolean;
  quiet: boolean;
  /** Milliseconds, monotonic (a seam for tests of the progress reporter). */
  now: () => number;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Positional arguments: names for the usage line, with a description each. */
  positionals: { name: string; description: string }[];
  options: OptionSpec[];
  /** Paragraphs after the options in `--help`. */
  details: string[];
  run(context: CommandContext): Promise<ExitCode>;
}

/** A wrong command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command could not do what was asked: printed as `heapwatch: <message>`, then the hint. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly code: ExitCode = EXIT.failed,
  ) {
    super(message);
  }
}
