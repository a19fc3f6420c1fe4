// HeapDiff benchmark: heapwatch vs @airbnb/node-memwatch vs one bare TakeHeapSnapshot, each
// measurement in a fresh child process.
//   node bench/heapdiff/run.mjs [--churn F] [items...]
// --churn F: the fraction of the items replaced between constructor and end() (default 0).
// Installs @airbnb/node-memwatch into bench/.peers (ignored by git) on first use.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const peers = join(here, '..', '.peers');
const airbnb = join(peers, 'node_modules', '@airbnb', 'node-memwatch');
if (!existsSync(airbnb)) {
  mkdirSync(peers, { recursive: true });
  console.error('installing @airbnb/node-memwatch@3 into bench/.peers ...');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', peers, '@airbnb/node-memwatch@3'], {
    stdio: 'inherit',
  });
}

// ~0.5M and ~5M snapshot nodes (two nodes per item plus Node's own ~40k).
const args = process.argv.slice(2);
const churnAt = args.indexOf('--churn');
const churn = churnAt === -1 ? '0' : args.splice(churnAt, 2)[1];
if (!(Number(churn) >= 0 && Number(churn) <= 1))
  throw new Error(`--churn: expected a fraction from 0 to 1, got ${churn}`);
const sizes = args.map(Number);
if (sizes.length === 0) sizes.push(230_000, 2_500_000);

function measure(subject, items) {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', join(here, 'child.cjs'), subject, String(items), churn],
    {
      encoding: 'utf8',
      timeout: 15 * 60_000,
      killSignal: 'SIGKILL',
    },
  );
  if (child.status !== 0) {
    return {
      subject,
      items,
      failed: `${child.signal ?? `exit ${child.status}`}: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    };
  }
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

const mb = (b) => (b / 1048576).toFixed(0);
const rows = [];
for (const items of sizes) {
  const bare = measure('bare', items);
  const runs = { heapwatch: measure('heapwatch', items), airbnb: measure('airbnb', items) };
  const nodes = runs.heapwatch.nodes ?? runs.airbnb.nodes;
  console.log(
    `\n${items} items, ${nodes} snapshot nodes; one bare TakeHeapSnapshot+Delete: ${bare.snapshotMs?.toFixed(0)} ms, ` +
      `RSS held after it: ${mb(bare.heldBytes)} MB, peak ${mb(bare.peakRssBytes)} MB`,
  );
  for (const [name, r] of Object.entries(runs)) {
    if (r.failed) {
      console.log(`  ${name}: failed (${r.failed})`);
      rows.push({ items, nodes, name, failed: r.failed });
      continue;
    }
    const total = r.constructorMs + r.endMs;
    const row = {
      items,
      nodes,
      name,
      constructorMs: Math.round(r.constructorMs),
      endMs: Math.round(r.endMs),
      totalMs: Math.round(total),
      xBare: (total / bare.snapshotMs).toFixed(2),
      heldMB: mb(r.heldBytes),
      heldPerNode: (r.heldBytes / r.nodes).toFixed(0),
      heldOverBarePerNode: ((r.heldBytes - bare.heldBytes) / r.nodes).toFixed(0),
      peakMB: mb(r.peakRssBytes),
      bareMs: Math.round(bare.snapshotMs),
    };
    rows.push(row);
    console.log(`  ${name}: ${JSON.stringify(row)}`);
  }
  const h = rows.find((r) => r.items === items && r.name === 'heapwatch');
  const a = rows.find((r) => r.items === items && r.name === 'airbnb');
  if (h?.totalMs && a?.totalMs)
    console.log(`  heapwatch is ${(a.totalMs / h.totalMs).toFixed(1)}x faster than airbnb overall`);
}
console.log(`\n${JSON.stringify(rows)}`);
