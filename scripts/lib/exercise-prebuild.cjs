// Exercises one prebuilt binary under the Node that runs this file (natively, or an arm64 Node
// under qemu-user): loads heapwatch from a package directory that has no build/ (so only a
// prebuilt binary can be chosen), checks which .node it loaded, writes and parses a snapshot,
// waits for a 'stats' event after gc(), and runs a HeapDiff around a planted class. Prints one
// line, RESULT <json>, and exits 0 only when every part held.
//
//   node exercise-prebuild.cjs <package root> <expected binary, relative> <scratch dir>
//
// Used by scripts/prebuild.mjs (x64) and scripts/test-arm64.mjs (arm64).

const fs = require('node:fs');
const path = require('node:path');

const [root, expected, scratch] = process.argv.slice(2);
const result = { node: process.version, arch: process.arch, abi: Number(process.versions.modules) };
const done = (ok, extra) => {
  console.log(`RESULT ${JSON.stringify({ ...result, ...extra, ok })}`);
  process.exit(ok ? 0 : 1);
};

try {
  if (fs.existsSync(path.join(root, 'build')))
    throw new Error(`${root}/build exists: a source build could be chosen`);
  const heapwatch = require(path.join(root, 'dist', 'index.cjs'));
  const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
  result.binary = loaded.map((f) => path.relative(root, f)).join(', ');
  if (result.binary !== expected)
    throw new Error(`loaded ${result.binary || 'no .node'}, expected ${expected}`);

  const file = path.join(scratch, 'exercise.heapsnapshot');
  if (heapwatch.writeSnapshot(file) !== true) throw new Error('writeSnapshot returned false');
  result.nodes = JSON.parse(fs.readFileSync(file, 'utf8')).snapshot.node_count;
  fs.rmSync(file);
  if (!(result.nodes > 1000)) throw new Error(`the snapshot has ${result.nodes} nodes`);

  // A class only this program makes, kept alive across end().
  class PlantedByExercise {}
  const diff = new heapwatch.HeapDiff();
  globalThis.planted = Array.from({ length: 500 }, () => new PlantedByExercise());
  const change = diff.end();
  const entry = change.change.details.find((d) => d.what === 'PlantedByExercise');
  result.heapDiff = entry ? entry['+'] : 0;
  if (!(result.heapDiff >= 500))
    throw new Error(`HeapDiff saw ${result.heapDiff} PlantedByExercise allocated`);

  // Generous: an arm64 Node under qemu-user runs a full GC many times slower than natively.
  const timer = setTimeout(() => done(false, { error: "no 'stats' event within 60 s of gc()" }), 60_000);
  heapwatch.once('stats', (stats) => {
    clearTimeout(timer);
    done(stats.num_full_gc >= 1, { numFullGc: stats.num_full_gc });
  });
  heapwatch.gc();
} catch (error) {
  done(false, { error: String(error?.stack ?? error) });
}
