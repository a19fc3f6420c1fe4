// The heapwatch command: finds the subcommand, parses its command line, runs it, and turns
// what went wrong into a message and an exit code (command.ts: 0 ok, 1 failed, 2 usage).
import { readFileSync } from 'node:fs';
import { packageRoot } from '../binding.js';
import { COMMON_OPTIONS, parseArgs } from './args.js';
import { type Command, CommandError, EXIT, type ExitCode, type Output, UsageError } from './command.js';
import { COMMANDS } from './commands/index.js';

export interface Io {
  stdout: Output['stdout'];
  stderr: Output['stderr'];
  now?: () => number;
}

const EXIT_CODES = [
  'Exit codes:',
  '  0  done',
  '  1  failed: a file that cannot be read or is not a complete snapshot, snapshots of different',
  '     processes, not enough memory',
  '  2  wrong command line: an unknown subcommand or option, a missing argument',
  '  3-7 heapwatch snapshot only: see `heapwatch snapshot --help`',
];

function wrap(text: string, width = 88, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && (indent + line + ' ' + word).length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

function usageLine(command: Command): string {
  return `heapwatch ${command.name} ${command.positionals.map((p) => `<${p.name}>`).join(' ')} [options]`;
}

export function commandHelp(command: Command): string {
  const options = [...command.options, ...COMMON_OPTIONS];
  const left = options.map((o) => `--${o.name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length), ...command.positionals.map((p) => p.name.length + 2));
  return [
    `Usage: ${usageLine(command)}`,
    '',
    ...wrap(`${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`),
    '',
    'Arguments:',
    ...command.positionals.map((p) => `  ${`<${p.name}>`.padEnd(width)}  ${p.description}`),
    '',
    'Options:',
    ...options.flatMap((o, i) => {
      const [first, ...rest] = wrap(o.description, 88 - width - 4);
      return [`  ${left[i]!.padEnd(width)}  ${first}`, ...rest.map((r) => `  ${' '.repeat(width)}  ${r}`)];
    }),
    ...command.details.flatMap((d) => ['', ...wrap(d)]),
    '',
    ...EXIT_CODES,
    '',
  ].join('\n');
}

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: heapwatch <command> [arguments] [options]',
    '',
    'Heap snapshots, from the file to the answer: what fills a heap, what changed, what leaks.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    '`heapwatch <command> --help` describes a command; every command takes --json and --quiet.',
    '',
    ...EXIT_CODES,
    '',
  ].join('\n');
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[], io: Io): Promise<ExitCode> {
  const now = io.now ?? (() => performance.now());
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(generalHelp());
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout.write(generalHelp());
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const wanted = name === 'help' ? rest[0]! : name;
  const command = COMMANDS.find((c) => c.name === wanted);
  if (command === undefined) {
    const close = COMMANDS.find((c) => c.name.startsWith(wanted.slice(0, 3)));
    io.stderr.write(
      `heapwatch: unknown command ${JSON.stringify(wanted)}${close ? ` (did you mean ${close.name}?)` : ''}; ` +
        `commands: ${COMMANDS.map((c) => c.name).join(', ')}\n`,
    );
    return EXIT.usage;
  }
  if (name === 'help') {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(command, rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`heapwatch ${command.name}: ${error.message}\nUsage: ${usageLine(command)}\n`);
    return EXIT.usage;
  }
  if (parsed.options.help) {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const out: Output = {
    stdout: io.stdout,
    stderr: io.stderr,
    json: parsed.options.json === true,
    quiet: parsed.options.quiet === true,
    now,
  };
  try {
    return await command.run({ args: parsed.args, options: parsed.options, out });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`heapwatch ${command.name}: ${error.message}\nUsage: ${usageLine(command)}\n`);
      return EXIT.usage;
    }
    if (error instanceof CommandError) {
      io.stderr.write(
        `heapwatch ${command.name}: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`,
      );
      return error.code;
    }
    const e = error as Error & { code?: string };
    if (e?.code === 'ERR_HEAPWATCH_NATIVE_LOAD') {
      io.stderr.write(`heapwatch ${command.name}: ${e.message}\n`);
      return EXIT.failed;
    }
    io.stderr.write(
      `heapwatch ${command.name}: unexpected error (please report it): ${e?.stack ?? String(error)}\n`,
    );
    return EXIT.failed;
  }
}
