// The subcommands, in the order `heapwatch --help` lists them. A new one is one file in this
// folder and one line here.
import type { Command } from '../command.js';
import { diff } from './diff.js';
import { leaks } from './leaks.js';
import { snapshot } from './snapshot.js';
import { summary } from './summary.js';

export const COMMANDS: Command[] = [snapshot, summary, diff, leaks];
