// heapwatch diff <before> <after> [--retainers N]: memwatch's HeapDiff of two snapshot files.
import { basename } from 'node:path';
import { toHeapDiffResult } from '../../heap-diff.js';
import { analyze, finalLine } from '../analyze.js';
import { integer } from '../args.js';
import { type Lineage, loadAnalysis } from '../binding.js';
import { type Command, CommandError, EXIT } from '../command.js';
import { clip, count, formatBytes, signedBytes, table } from '../text.js';

/** Rows of the change table in text (--json has every group, as memwatch's details). */
const CHANGE_ROWS = 30;

export const diff: Command = {
  name: 'diff',
  summary: "what changed between two snapshots of one process: memwatch's HeapDiff, with retainer paths",
  positionals: [
    { name: 'before', description: 'the earlier .heapsnapshot file' },
    { name: 'after', description: 'the later one, from the same process' },
  ],
  options: [
    {
      name: 'retainers',
      value: 'N',
      description: 'find retainer paths for the N groups that grew most (default 3; 0 for none)',
      parse: integer('retainers', 0, 100),
      default: 3,
    },
  ],
  details: [
    "--json prints exactly what memwatch's `new HeapDiff()` ... `end()` returns ({ before, after, change: " +
      '{ ..., details } }), with `retainers` on the groups that grew most.',
    'Objects are matched by their snapshot id, which V8 gives per process: snapshots of two processes ' +
      'cannot be compared, and are refused.',
  ],
  async run({ args, options, out }) {
    const [before, after] = args as [string, string];
    const analysis = await analyze(
      loadAnalysis(),
      'diff',
      [before, after],
      { retainers: options.retainers as number },
      out,
    );
    const { lineage, diff: raw } = analysis.result;
    if (raw === undefined) {
      analysis.progress.fail();
      throw lineageError(before, after, lineage);
    }
    const result = toHeapDiffResult(raw);
    if (out.json) {
      out.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const c = result.change;
      const lines = [
        `before: ${before}  ${count(result.before.nodes)} nodes  ${formatBytes(result.before.size_bytes)}`,
        `after:  ${after}  ${count(result.after.nodes)} nodes  ${formatBytes(result.after.size_bytes)}`,
        `change: ${signedBytes(c.size_bytes)}, ${count(c.allocated_nodes)} objects allocated, ${count(c.freed_nodes)} freed`,
        '',
      ];
      const details = [...c.details].sort(
        (x, y) => Math.abs(y.size_bytes) - Math.abs(x.size_bytes) || x.what.localeCompare(y.what),
      );
      const rows = [['size', '+', '-', 'what']];
      for (const d of details.slice(0, CHANGE_ROWS)) {
        rows.push([signedBytes(d.size_bytes), count(d['+']), count(d['-']), clip(d.what, 70)]);
      }
      lines.push('Groups by size of the change:', ...table(rows, [0, 1, 2]).map((l) => `  ${l}`));
      if (details.length > CHANGE_ROWS) {
        lines.push(`  ... and ${count(details.length - CHANGE_ROWS)} more groups (--json lists them all)`);
      }
      const held = c.details.filter((d) => d.retainers !== undefined && d.retainers.length > 0);
      if (held.length > 0) {
        lines.push('', 'What holds the new objects of the groups that grew most:');
        for (const d of held.sort((x, y) => y.size_bytes - x.size_bytes)) {
          lines.push(`  ${d.what} (${signedBytes(d.size_bytes)}, +${count(d['+'])}):`);
          for (const p of d.retainers!) lines.push(`    ${p}`);
        }
      }
      out.stdout.write(`${lines.join('\n')}\n`);
    }
    analysis.progress.finish(finalLine('diff', analysis, out.now));
    return EXIT.ok;
  },
};

/** Why two snapshots cannot be diffed, from what their ids say. */
export function lineageError(first: string, second: string, l: Lineage): CommandError {
  if (l.verdict === 'reversed') {
    return new CommandError(
      `${basename(second)} was written before ${basename(first)}: ${count(l.newerGone)} objects it lacks ` +
        `have newer ids than any it has`,
      `give the older snapshot first: heapwatch diff ${second} ${first}`,
    );
  }
  const why =
    l.mismatched > 0
      ? `${count(l.mismatched)} of the ${count(l.common)} ids found in both name different kinds of object`
      : `${count(l.olderNew)} of the ${count(l.added)} objects new in ${basename(second)} have ids older than ` +
        `${basename(first)}'s newest`;
  return new CommandError(
    `${basename(first)} and ${basename(second)} do not come from one process: ${why} ` +
      '(V8 numbers objects per process)',
    'compare snapshots of one running process, e.g. two taken minutes apart with `heapwatch snapshot <pid>`',
  );
}
