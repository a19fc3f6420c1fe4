// Files that are not complete snapshots: a clear error naming the byte offset, exit code 1,
// never a crash; and the user's file is left as it was.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { heapwatch, knownHeap, SNAPSHOT_META } from './helpers.js';

const META = SNAPSHOT_META;

/** A tiny snapshot: root -> Thing; pieces can be replaced to break it. */
function snapshot(
  parts: { meta?: unknown; nodeCount?: number; nodes?: string; edges?: string; strings?: string } = {},
) {
  const header = { meta: parts.meta ?? META, node_count: parts.nodeCount ?? 2, edge_count: 1 };
  return (
    `{"snapshot":${JSON.stringify(header)},\n` +
    `"nodes":[${parts.nodes ?? '4,0,1,0,1,0,3,1,3,40,0,0'}],\n` +
    `"edges":[${parts.edges ?? '2,2,6'}],\n"strings":${parts.strings ?? '["","Thing","thing"]'}}`
  );
}

async function failsWith(file: string, pattern: RegExp) {
  const before = readFileSync(file);
  const run = await heapwatch(['summary', file]);
  expect(run.signal).toBeNull();
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
  expect(run.stderr).toMatch(pattern);
  expect(readFileSync(file).equals(before)).toBe(true);
  return run.stderr;
}

describe('bad snapshot files', () => {
  it('reads the tiny snapshot these tests break', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ok.heapsnapshot'), snapshot());
    const run = await heapwatch(['summary', join(dir, 'ok.heapsnapshot'), '--json', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).groups).toContainEqual({
      what: 'Thing',
      count: 1,
      selfBytes: 40,
      retainedBytes: 40,
    });
  });

  it('a truncated snapshot: where it ends, and what to do', async () => {
    const dir = tempDir();
    const whole = gunzipSync(readFileSync(knownHeap(20)));
    const file = join(dir, 'cut.heapsnapshot');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const stderr = await failsWith(
      file,
      /^heapwatch summary: .*cut\.heapsnapshot is not a complete V8 heap snapshot: byte \d+: the file ends early \(truncated\?\)/,
    );
    const at = Number(stderr.match(/byte (\d+)/)![1]);
    expect(at).toBe(statSync(file).size);
    expect(stderr).toMatch(/write it again/);
  });

  it('a truncated .gz', async () => {
    const dir = tempDir();
    const file = join(dir, 'cut.heapsnapshot.gz');
    const gz = readFileSync(knownHeap(20));
    writeFileSync(file, gz.subarray(0, gz.length >> 1));
    await failsWith(file, /the gzip data ends early|the file ends early/);
  });

  it('a gzip stream that is corrupt', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.heapsnapshot.gz');
    const gz = Buffer.from(gzipSync(Buffer.from(snapshot())));
    for (let i = 20; i < gz.length - 10; i++) gz[i] = 0xff;
    writeFileSync(file, gz);
    await failsWith(file, /cannot decompress .*: the gzip data is corrupt near compressed byte \d+/);
  });

  it('not JSON, and JSON that is not a snapshot', async () => {
    const dir = tempDir();
    const text = join(dir, 'notes.heapsnapshot');
    writeFileSync(text, 'PNG this is not JSON');
    await failsWith(text, /byte 0: a heap snapshot is a JSON object: expected '\{', found 'P'/);
    const json = join(dir, 'package.heapsnapshot');
    writeFileSync(json, '{"name": "x", "version": "1.0.0"}');
    await failsWith(json, /byte \d+: no "snapshot" header: not a V8 heap snapshot/);
  });

  it('a meta without the fields the reader needs', async () => {
    const dir = tempDir();
    const file = join(dir, 'meta.heapsnapshot');
    writeFileSync(
      file,
      snapshot({ meta: { ...META, node_fields: ['type', 'name', 'self_size', 'edge_count'] } }),
    );
    await failsWith(
      file,
      /byte 12: snapshot\.meta node_fields has no "id": not a heap snapshot this reader understands/,
    );
    writeFileSync(file, snapshot({ meta: { ...META, edge_types: [] } }));
    await failsWith(file, /snapshot\.meta has no list of edge types/);
  });

  it('numbers too large for their field', async () => {
    const dir = tempDir();
    const file = join(dir, 'huge.heapsnapshot');
    writeFileSync(file, snapshot({ nodes: '4,0,1,0,1,0,3,1,3,40,0,1234567890123456789012345' }));
    const stderr = await failsWith(file, /byte (\d+): a number of 25 digits in the nodes array/);
    const at = Number(stderr.match(/byte (\d+)/)![1]);
    expect(readFileSync(file, 'utf8').slice(at, at + 25)).toBe('1234567890123456789012345');
    writeFileSync(file, snapshot({ nodes: '4,0,1,0,1,0,3,1,99999999999,40,0,0' }));
    await failsWith(file, /byte \d+: node id 99999999999 is too large \(at most 4294967295\)/);
    writeFileSync(file, snapshot({ nodeCount: 2_000_000_000 }));
    await failsWith(
      file,
      /byte 12: the header says 2000000000 nodes and 1 edges, more than a file of \d+ bytes can hold/,
    );
    writeFileSync(file, snapshot({ nodes: '4,0,1,0,1,0,3,1,3,40,0,-1' }));
    await failsWith(file, /byte \d+: a negative number in the nodes array/);
  });

  it('references that point nowhere', async () => {
    const dir = tempDir();
    const file = join(dir, 'refs.heapsnapshot');
    writeFileSync(file, snapshot({ edges: '2,2,7' }));
    await failsWith(file, /byte \d+: to_node 7 is not the start of one of the 2 nodes/);
    writeFileSync(file, snapshot({ strings: '["",""]' }));
    await failsWith(file, /byte \d+: refers to string #2, but there are 2 strings/);
    writeFileSync(file, snapshot({ nodes: '9,0,1,0,1,0,3,1,3,40,0,0' }));
    await failsWith(file, /byte \d+: node type 9, but snapshot\.meta lists 5 node types/);
  });

  it('a missing file, a directory, an empty file: what to do', async () => {
    const dir = tempDir();
    await expect(heapwatch(['summary', join(dir, 'nope.heapsnapshot')])).resolves.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/cannot read .*nope\.heapsnapshot: ENOENT\n {2}check the path/),
    });
    await expect(heapwatch(['summary', dir])).resolves.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/is a directory/),
    });
    writeFileSync(join(dir, 'empty.heapsnapshot'), '');
    await expect(heapwatch(['summary', join(dir, 'empty.heapsnapshot')])).resolves.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /empty\.heapsnapshot is empty\n {2}a snapshot that is still being written/,
      ),
    });
  });

  it('a bad second file of a diff is named as such', async () => {
    const dir = tempDir();
    const file = join(dir, 'broken.heapsnapshot');
    writeFileSync(file, '{"snapshot": {');
    const run = await heapwatch(['diff', knownHeap(20), file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /broken\.heapsnapshot is not a complete V8 heap snapshot: byte 14: the file ends early/,
    );
  });
});
