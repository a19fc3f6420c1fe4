// heapwatch leaks <a> <b> <c>: the three-snapshot method.
import { basename } from 'node:path';
import { analyze, finalLine } from '../analyze.js';
import { integer } from '../args.js';
import { type DominatorRules, loadAnalysis } from '../binding.js';
import { type Command, EXIT } from '../command.js';
import { count, formatBytes } from '../text.js';
import { lineageError } from './diff.js';
import { DOMINATOR_OPTION } from './summary.js';

export const leaks: Command = {
  name: 'leaks',
  summary: 'objects made between snapshots a and b that are still alive in c, grouped by what holds them',
  positionals: [
    { name: 'a', description: 'the first snapshot (after a warm-up)' },
    { name: 'b', description: 'the second, after the suspect work ran' },
    { name: 'c', description: 'the third, after the work ran again' },
  ],
  options: [
    {
      name: 'top',
      value: 'N',
      description: 'list the N largest suspects (default 10)',
      parse: integer('top', 1, 1000),
      default: 10,
    },
    DOMINATOR_OPTION,
  ],
  details: [
    'Take the three snapshots of one process: a after a warm-up, b after the work you suspect, c after ' +
      'more of it. Objects made between a and b and still alive in c are candidates; the outermost of ' +
      'them (those no other candidate retains) are grouped by the path that holds them, with numbers ' +
      'blanked, and ranked by retained size.',
    'A path is reported only if it also gained objects after b: a cache that filled once, or anything ' +
      'else that stopped growing, is counted apart and not reported.',
  ],
  async run({ args, options, out }) {
    const files = args as [string, string, string];
    const analysis = await analyze(
      loadAnalysis(),
      'leaks',
      files,
      { top: options.top as number, rules: options.dominators as DominatorRules },
      out,
    );
    const r = analysis.result;
    for (const [i, l] of r.lineage.entries()) {
      if (l.verdict !== 'same') {
        analysis.progress.fail();
        throw lineageError(files[i]!, files[i + 1]!, l);
      }
    }
    const [a, b, c] = files.map((f) => basename(f));
    if (out.json) {
      out.stdout.write(`${JSON.stringify({ files, ...r }, null, 2)}\n`);
    } else {
      const lines = [
        `${count(r.candidates)} objects made between ${a} and ${b} are still alive in ${c}.`,
        '',
      ];
      if (r.groups.length === 0) {
        lines.push(`No path kept gaining objects after ${b}: no leak suspects.`);
      } else {
        lines.push(`Leak suspects, by retained size (paths that kept growing after ${b}):`);
        r.groups.forEach((g, i) => {
          lines.push(
            `  ${String(i + 1).padStart(2)}. ${count(g.count)} x ${g.what}, ${formatBytes(g.retainedBytes)} retained, ` +
              `+${count(g.later)} more after ${b}`,
            `      ${g.path}`,
          );
        });
      }
      if (r.settled.groups > 0) {
        lines.push(
          '',
          `Not reported: ${count(r.settled.count)} objects (${formatBytes(r.settled.retainedBytes)}) on ` +
            `${count(r.settled.groups)} ${r.settled.groups === 1 ? 'path that' : 'paths that'} stopped growing ` +
            `after ${b}, such as a cache that filled once.`,
        );
      }
      out.stdout.write(`${lines.join('\n')}\n`);
    }
    analysis.progress.finish(finalLine('leaks', analysis, out.now));
    return EXIT.ok;
  },
};
