// One measurement in a fresh process: node child.cjs <bare|heapwatch|airbnb> <items> [churn]
// Builds a heap of ~2 snapshot nodes per item, then prints one JSON line. Between constructor
// and end(), 10,000 items are added and the fraction `churn` (default 0) of the items is
// replaced by new ones (what a cache that turns over does).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const [subject, itemsArg, churnArg = '0'] = process.argv.slice(2);
const churn = Number(churnArg);
const root = join(__dirname, '..', '..');
const status = (key) =>
  Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${key}:\\s+(\\d+)`))[1]) * 1024;
const now = () => Number(process.hrtime.bigint()) / 1e6;

const items = [];
for (let i = 0; i < Number(itemsArg); i++) items.push({ id: i, name: `item-${i}` });
globalThis.items = items;

globalThis.gc();
writeFileSync('/proc/self/clear_refs', '5'); // VmHWM := VmRSS
const rss0 = status('VmRSS');
const out = { subject, items: items.length, churn, rssBeforeBytes: rss0 };

if (subject === 'bare') {
  // The test build's seam: take and delete one snapshot, nothing else (npm run build:test-addon).
  const binding = require(join(root, 'build', 'Release', 'heapwatch_test.node'));
  out.snapshotMs = binding.testBareSnapshot();
  out.heldBytes = status('VmRSS') - rss0;
} else {
  const { HeapDiff } =
    subject === 'heapwatch'
      ? require(join(root, 'dist', 'index.cjs'))
      : require(join(__dirname, '..', '.peers', 'node_modules', '@airbnb', 'node-memwatch'));
  let t = now();
  const diff = new HeapDiff();
  out.constructorMs = now() - t;
  out.heldBytes = status('VmRSS') - rss0;
  const replaced = Math.round(items.length * churn);
  for (let i = 0; i < replaced; i++) items[i] = { id: i, name: `renewed-${i}` };
  for (let i = 0; i < 10_000; i++) items.push({ id: -i, name: `new-${i}` });
  t = now();
  const result = diff.end();
  out.endMs = now() - t;
  out.nodes = result.before.nodes;
  out.allocated = result.change.allocated_nodes;
  out.freed = result.change.freed_nodes;
}
out.peakRssBytes = status('VmHWM');
console.log(JSON.stringify(out));
