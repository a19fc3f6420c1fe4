// Production settings at work: retention (keep=N) and a snapshot near the heap limit, in child
// processes configured only through NODE_HEAPDUMP_OPTIONS, as a container would be.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { say } from './progress.mjs';

function child(code, options, nodeArgs = []) {
  say(`  NODE_HEAPDUMP_OPTIONS=${options}`);
  return spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], {
    env: { ...process.env, NODE_HEAPDUMP_OPTIONS: options },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

const snapshotsIn = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.heapsnapshot'))
    .sort();

export function run(out) {
  // keep=3: of heapwatch's own snapshots, the newest 3 stay. A file it did not write is never
  // deleted, even one whose name matches the template.
  const kept = join(out, 'kept');
  const decoy = 'app-api-0.heapsnapshot';
  mkdirSync(kept);
  writeFileSync(join(kept, decoy), 'not written by heapwatch');
  say(`Retention: a child writes 5 snapshots into ${kept}/, where a decoy named like them waits`);
  const retention = child(
    `import hw from 'heapwatch'; for (let i = 0; i < 5; i++) hw.writeSnapshot();`,
    `nosignal,dir=${kept},name=app-{trigger}-{seq}.heapsnapshot,keep=3`,
  );
  const files = snapshotsIn(kept);
  const own = files.filter((f) => f !== decoy);
  say(`  left (exit ${retention.status}): ${own.join(', ')}: the newest 3 of its 5;`);
  say(
    files.includes(decoy)
      ? `  and the decoy ${decoy}, untouched: heapwatch deletes only what its ledger proves it wrote`
      : `  the decoy ${decoy} is gone: that is a bug`,
  );

  // oom: a process that leaks until V8 gives up at 64 MB writes one snapshot first, and Node's
  // own OOM report still follows.
  const oom = join(out, 'oom');
  say(`\nNear the heap limit: a child leaks until V8 gives up, under --max-old-space-size=64`);
  const dying = child(
    `import 'heapwatch'; class LeakedRecord { constructor(i) { this.i = i; this.s = 'x'.repeat(64) + i; } }
     const all = []; for (let i = 0; ; i++) all.push(new LeakedRecord(i));`,
    `nosignal,oom,dir=${oom},name=oom-{pid}-{trigger}-{seq}.heapsnapshot`,
    ['--max-old-space-size=64'],
  );
  const lines = dying.stderr.split('\n');
  say(`  its stderr, heapwatch's lines and the first of Node's report:`);
  for (const l of lines.filter((l) => l.startsWith('heapwatch:'))) say(`    ${l}`);
  const nodeReport = lines.find((l) => l.includes('JavaScript heap out of memory'));
  if (nodeReport) say(`    ${nodeReport.trim()}`);
  const snaps = snapshotsIn(oom);
  say(
    `  it ended as it would have without heapwatch (${dying.signal ?? `exit ${dying.status}`}), ` +
      `and left ${snaps.map((f) => join(oom, f)).join(', ') || 'no snapshot'}`,
  );
  return { ok: own.length === 3 && files.includes(decoy) && snaps.length === 1 };
}
