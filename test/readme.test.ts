// Every complete JavaScript and TypeScript block of README.md runs as a user would run it: taken
// from the README as it is (not copied here), written into a fresh project where heapwatch is
// installed, and run with node; TypeScript is compiled first with tsc --init's defaults. A block
// that is not meant to run says so in its info string (```js fragment). An HTML comment right
// before a block can say what to expect of it:
//   <!-- readme: {"stdout": "regex", "env": {...}, "serve": "http://...", "expect": "regex"} -->
// `serve`: the block is a server; the URL must answer (with `expect` in its body), then the
// server is stopped.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, run, start, tempDir } from './helpers.js';

interface Block {
  line: number;
  lang: string;
  flags: string[];
  code: string;
  expect: { stdout?: string; env?: Record<string, string>; serve?: string; expect?: string };
}

const RUNNABLE = ['js', 'ts'];

function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S+)?(.*)$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    expect(end, `README line ${i + 1}: a block that does not end`).toBeGreaterThan(i);
    const directive = /^<!-- readme: (.*) -->$/.exec(lines[i - 1] ?? '');
    found.push({
      line: i + 1,
      lang: fence[1] ?? '',
      flags: fence[2]!.trim().split(/\s+/).filter(Boolean),
      code: lines.slice(i + 1, end).join('\n'),
      expect: directive ? JSON.parse(directive[1]!) : {},
    });
    i = end;
  }
  return found;
}

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const all = blocks(readme);
const runnable = all.filter((b) => RUNNABLE.includes(b.lang) && !b.flags.includes('fragment'));

/** A project with heapwatch installed, under its own name and the two old ones. */
function project(type: 'commonjs' | 'module'): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme', private: true, type }));
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '@types'), { recursive: true });
  for (const name of ['heapwatch', 'heapdump', 'memwatch-next']) symlinkSync(ROOT, join(modules, name));
  for (const name of ['prom-client', '@opentelemetry'])
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'));
  return dir;
}

/** Writes the block as the file a user would make of it; returns that file (JavaScript). */
function prepare(block: Block): { dir: string; file: string } {
  if (block.lang === 'js') {
    const esm = /^import\s/m.test(block.code);
    const dir = project(esm ? 'module' : 'commonjs');
    const file = join(dir, esm ? 'main.mjs' : 'main.cjs');
    writeFileSync(file, block.code);
    return { dir, file };
  }
  // TypeScript: a project as `tsc --init` makes it (TypeScript 5.9), libraries checked too.
  const dir = project(block.flags.includes('cjs') ? 'commonjs' : 'module');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '--init'], { cwd: dir, stdio: 'ignore' });
  const config = readFileSync(join(dir, 'tsconfig.json'), 'utf8').replace(
    /"skipLibCheck": true/,
    '"skipLibCheck": false',
  );
  writeFileSync(join(dir, 'tsconfig.json'), config);
  writeFileSync(join(dir, 'main.ts'), block.code);
  try {
    execFileSync(process.execPath, [tsc, '-p', '.'], { cwd: dir, encoding: 'utf8' });
  } catch (error) {
    throw new Error(`tsc: ${(error as { stdout: string }).stdout}`);
  }
  return { dir, file: join(dir, 'main.js') };
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

/** The body of the first successful answer from `url`, asked every 100 ms for up to a minute. */
async function answer(url: string, server: ReturnType<typeof start>): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await (await fetch(url)).text();
    } catch (error) {
      if (server.process.exitCode !== null || Date.now() > deadline)
        throw new Error(`no answer from ${url}: ${error}\n${server.stderr}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

describe("the README's code", () => {
  it('marks every JavaScript or TypeScript block that is not meant to run as a fragment', () => {
    for (const b of all) {
      if (['javascript', 'typescript', 'mjs', 'cjs', 'jsx', 'tsx'].includes(b.lang))
        throw new Error(
          `README line ${b.line}: use js or ts (with "fragment" if it does not run), not ${b.lang}`,
        );
    }
    expect(runnable.length).toBeGreaterThanOrEqual(12);
    // A directive only where a block runs: one on a fragment would be a check that never happens.
    for (const b of all.filter((b) => !runnable.includes(b)))
      expect(b.expect, `README line ${b.line}`).toEqual({});
  });

  for (const block of runnable) {
    const title = block.code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import'));
    it(`line ${block.line} (${block.lang}${block.flags.map((f) => ` ${f}`).join('')}): ${title?.slice(0, 60)}`, async () => {
      const { dir, file } = prepare(block);
      // "{port}" in a directive: a port that is free now, for a server block.
      const port = String(await freePort());
      const env = Object.fromEntries(
        Object.entries(block.expect.env ?? {}).map(([k, v]) => [k, v.replaceAll('{port}', port)]),
      );
      const options = { cwd: dir, env, timeoutMs: 90_000 };
      if (block.expect.serve) {
        const server = start(file, options);
        const body = await answer(block.expect.serve.replaceAll('{port}', port), server);
        expect(body).toMatch(new RegExp(block.expect.expect ?? ''));
        server.signal('SIGTERM');
        expect(await server.exited).toMatchObject({ signal: 'SIGTERM' });
        return;
      }
      const exit = await run(file, options);
      expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
      if (block.expect.stdout) expect(exit.stdout).toMatch(new RegExp(block.expect.stdout));
    }, 120_000);
  }
});
