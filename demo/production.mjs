// Production settings at work: retention (keep=N) and a snapshot near the heap limit, in child
// processes configured only through NODE_HEAPDUMP_OPTIONS, as a container would be.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const show = (path) => relative(process.cwd(), path);

function child(code, options, nodeArgs = []) {
  return spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], {
    env: { ...process.env, NODE_HEAPDUMP_OPTIONS: options },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

export function run(out) {
  // keep=3: five snapshots, the oldest two of heapwatch's own are deleted; a file it did not
  // write is never touched, even with a matching name.
  const kept = join(out, 'kept');
  mkdirSync(kept);
  writeFileSync(join(kept, 'app-api-0.heapsnapshot'), 'not written by heapwatch');
  const retention = child(
    `import hw from 'heapwatch'; for (let i = 0; i < 5; i++) hw.writeSnapshot();`,
    `nosignal,dir=${kept},name=app-{trigger}-{seq}.heapsnapshot,keep=3`,
  );
  const files = readdirSync(kept)
    .filter((f) => f.endsWith('.heapsnapshot'))
    .sort();
  console.log(`keep=3 after 5 snapshots (exit ${retention.status}): ${files.join(', ')}`);

  // oom: a process that leaks until V8 gives up at 64 MB writes one snapshot first, and Node's
  // own OOM report still follows.
  const oom = join(out, 'oom');
  const dying = child(
    `import 'heapwatch'; class LeakedRecord { constructor(i) { this.i = i; this.s = 'x'.repeat(64) + i; } }
     const all = []; for (let i = 0; ; i++) all.push(new LeakedRecord(i));`,
    `nosignal,oom,dir=${oom},name=oom-{pid}-{trigger}-{seq}.heapsnapshot`,
    ['--max-old-space-size=64'],
  );
  const lines = dying.stderr.split('\n');
  const ours = lines.filter((l) => l.startsWith('heapwatch:'));
  const nodeReport = lines.find((l) => l.includes('JavaScript heap out of memory'));
  console.log(`--max-old-space-size=64 with oom: exit ${dying.status ?? dying.signal}`);
  for (const l of ours) console.log(`  ${l.replace(process.cwd() + '/', '')}`);
  if (nodeReport) console.log(`  then Node: ${nodeReport.trim()}`);
  const snaps = readdirSync(oom).filter((f) => f.endsWith('.heapsnapshot'));
  console.log(`  left behind: ${snaps.map((f) => show(join(oom, f))).join(', ') || 'nothing'}`);
  return { ok: files.length === 4 && snaps.length === 1 };
}
