// heapwatch summary <file> [--top N]: what fills the heap.

import { analyze, finalLine } from '../analyze.js';
import { integer, oneOf } from '../args.js';
import { type DominatorRules, loadAnalysis, type SummaryResult } from '../binding.js';
import { type Command, EXIT } from '../command.js';
import { clip, count, formatBytes, table } from '../text.js';

/** Groups shown in text (--json has them all). */
const GROUP_ROWS = 25;

export const DOMINATOR_OPTION = {
  name: 'dominators',
  value: 'RULES',
  description:
    "whose rules decide what retains what: `devtools` (Chrome's Memory panel, the default) or `memlab`",
  parse: oneOf('dominators', ['devtools', 'memlab']),
  default: 'devtools',
};

export const summary: Command = {
  name: 'summary',
  summary: 'what fills the heap: groups by retained size, the largest objects and what holds them',
  positionals: [{ name: 'file', description: 'a .heapsnapshot file (or .heapsnapshot.gz)' }],
  options: [
    {
      name: 'top',
      value: 'N',
      description: 'list the N largest objects by retained size, each with a retainer path (default 10)',
      parse: integer('top', 0, 1000),
      default: 10,
    },
    DOMINATOR_OPTION,
  ],
  details: [
    "Groups are memwatch's: the constructor name for objects, else Array, String, Code, Closure, RegExp, " +
      'Number, Native, Symbol, BigInt; V8\'s internals are "(system)". A group\'s retained size counts ' +
      'each object that no object of the same group retains, so nested objects are not counted twice.',
    'Retained sizes come from the dominator tree, as Chrome DevTools and memlab compute them; the two ' +
      'differ in which roots count (see `--dominators`).',
  ],
  async run({ args, options, out }) {
    const file = args[0]!;
    const analysis = await analyze(
      loadAnalysis(),
      'summary',
      [file],
      { top: options.top as number, rules: options.dominators as DominatorRules },
      out,
    );
    const { result } = analysis;
    if (out.json) {
      out.stdout.write(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
    } else {
      out.stdout.write(`${render(file, result, options.dominators as string).join('\n')}\n`);
    }
    analysis.progress.finish(finalLine('summary', analysis, out.now));
    return EXIT.ok;
  },
};

function render(file: string, r: SummaryResult, rules: string): string[] {
  const t = r.totals;
  const lines = [
    `${file}: ${count(t.nodes)} nodes, ${count(t.edges)} edges, ${formatBytes(t.selfBytes)} in all` +
      (t.unreachable > 0 ? ` (${count(t.unreachable)} nodes not reached from the root)` : ''),
    '',
    `What fills the heap, by retained size (${rules === 'memlab' ? "memlab's" : "DevTools'"} rules):`,
  ];
  const rows = [['retained', 'self', 'count', 'what']];
  for (const g of r.groups.slice(0, GROUP_ROWS)) {
    rows.push([formatBytes(g.retainedBytes), formatBytes(g.selfBytes), count(g.count), clip(g.what, 70)]);
  }
  lines.push(...table(rows, [0, 1, 2]).map((l) => `  ${l}`));
  if (r.groups.length > GROUP_ROWS) {
    lines.push(`  ... and ${count(r.groups.length - GROUP_ROWS)} more groups (--json lists them all)`);
  }
  if (r.largest.length > 0) {
    lines.push('', 'Largest objects, by retained size, with the path that holds each:');
    r.largest.forEach((o, i) => {
      lines.push(
        `  ${String(i + 1).padStart(2)}. ${formatBytes(o.retainedBytes)} retained by ${clip(o.name, 60)} @${o.id}` +
          (o.what !== o.name ? ` (${clip(o.what, 40)})` : ''),
        `      ${o.path}`,
      );
    });
  }
  return lines;
}
