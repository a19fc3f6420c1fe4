// The peers, one per process: node peers.cjs <memlab|v8-heap-parser> <file>
//   memlab: @memlab/heap-analysis getFullHeapFromFile (parses and computes dominators and
//     retained sizes), as the issue measures it;
//   v8-heap-parser: @vscode/v8-heap-parser decode_bytes, then get_class_groups with retained
//     sizes (DevTools' Summary view).
// Step times go to globalThis.benchSteps, which measure.cjs writes out.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const [peer, file] = process.argv.slice(2);
const now = () => performance.now();
globalThis.benchSteps = {};

async function main() {
  if (peer === 'memlab') {
    const { getFullHeapFromFile } = require('@memlab/heap-analysis');
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true; // memlab draws its progress on stdout
    const t = now();
    const heap = await getFullHeapFromFile(file);
    globalThis.benchSteps.parseAndDominatorsMs = now() - t;
    globalThis.benchSteps.nodes = heap.nodes.length;
    process.stdout.write = write;
  } else if (peer === 'v8-heap-parser') {
    const parser = require(join(__dirname, '..', '.peers', 'node_modules', '@vscode', 'v8-heap-parser'));
    let t = now();
    const graph = parser.decode_bytes(readFileSync(file));
    globalThis.benchSteps.decodeMs = now() - t;
    t = now();
    const groups = graph.get_class_groups(0, 1e9, false);
    globalThis.benchSteps.classGroupsMs = now() - t;
    globalThis.benchSteps.groups = groups.length;
  } else {
    throw new Error(`unknown peer ${peer}`);
  }
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
