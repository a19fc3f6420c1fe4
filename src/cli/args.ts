// The command line of one subcommand, checked against its options: `--name VALUE`,
// `--name=VALUE`, flags, and the positional arguments, with an error that names what is wrong.

import { suggest } from '../option-values.js';
import type { Command, OptionSpec } from './command.js';
import { UsageError } from './command.js';

/** Options every subcommand has. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { name: 'json', description: 'print the result as JSON on stdout, nothing else' },
  { name: 'quiet', description: 'no progress or summary line on stderr' },
  { name: 'help', description: 'show this help' },
];

export interface Parsed {
  args: string[];
  options: Record<string, unknown>;
}

export function parseArgs(command: Command, argv: string[]): Parsed {
  const specs = [...command.options, ...COMMON_OPTIONS];
  const options: Record<string, unknown> = {};
  for (const spec of specs) options[spec.name] = spec.value === undefined ? false : spec.default;
  const args: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || !arg.startsWith('-') || arg === '-') {
      args.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg} (options are spelled --name)`);
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined) {
      const close = suggest(
        name,
        specs.map((s) => s.name),
      );
      throw new UsageError(
        `unknown option --${name}${close ? ` (did you mean --${close}?)` : ''}; ` +
          `\`heapwatch ${command.name} --help\` lists the options`,
      );
    }
    if (spec.value === undefined) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else {
      raw = argv[++i];
      if (raw === undefined || (raw.startsWith('--') && raw.length > 2)) {
        throw new UsageError(`--${name} needs a value: --${name} ${spec.value}`);
      }
    }
    options[name] = spec.parse ? spec.parse(raw) : raw;
  }
  if (!options.help && args.length !== command.positionals.length) {
    const names = command.positionals.map((p) => `<${p.name}>`).join(' ');
    throw new UsageError(
      args.length < command.positionals.length
        ? `missing ${command.positionals
            .slice(args.length)
            .map((p) => `<${p.name}>`)
            .join(' ')}: heapwatch ${command.name} ${names}`
        : `too many arguments (${args.length}; expected ${command.positionals.length}: ${names})`,
    );
  }
  return { args, options };
}

/** A parser for a whole number option between `min` and `max`. */
export function integer(name: string, min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      throw new UsageError(
        `--${name} expects a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`,
      );
    }
    return value;
  };
}

/** A parser for an option with a fixed set of values. */
export function oneOf(name: string, values: readonly string[]): (raw: string) => string {
  return (raw) => {
    if (!values.includes(raw)) {
      throw new UsageError(`--${name} expects ${values.join(' or ')}, not ${JSON.stringify(raw)}`);
    }
    return raw;
  };
}
