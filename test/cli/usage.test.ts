// The command line: help for each subcommand, exit codes, and errors that say what to type.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { heapwatch, knownHeap } from './helpers.js';

const { version } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };

describe('the heapwatch command line', () => {
  it('without arguments: the commands on stderr, exit 2', async () => {
    const run = await heapwatch([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage: heapwatch <command>/);
    for (const name of ['summary', 'diff', 'leaks'])
      expect(run.stderr).toMatch(new RegExp(`^ {2}${name} `, 'm'));
  });

  it('--help and help: on stdout, exit 0, with the exit codes', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const run = await heapwatch(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^Exit codes:\n {2}0 {2}done\n {2}1 {2}failed: .*\n.*\n {2}2 {2}wrong command line/m,
      );
    }
  });

  it.each([
    ['summary', ['<file>', '--top N', '--dominators RULES', '--json', '--quiet']],
    ['diff', ['<before>', '<after>', '--retainers N', '--json', '--quiet']],
    ['leaks', ['<a>', '<b>', '<c>', '--top N', '--dominators RULES', '--json', '--quiet']],
  ])('%s --help lists its arguments and options', async (name, words) => {
    for (const args of [
      [name, '--help'],
      ['help', name],
      [name, '-h'],
    ]) {
      const run = await heapwatch(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: heapwatch ${name} `));
      for (const word of words) expect(run.stdout).toContain(word);
      expect(run.stdout).toContain('Exit codes:');
    }
  });

  it('--version prints the package version', async () => {
    const run = await heapwatch(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('an unknown command: exit 2, with the closest one', async () => {
    const run = await heapwatch(['sumary', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^heapwatch: unknown command "sumary" \(did you mean summary\?\); commands: snapshot, summary, diff, leaks\n$/,
    );
  });

  it('an unknown option: exit 2, with the closest one', async () => {
    const run = await heapwatch(['summary', knownHeap(20), '--tpo', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^heapwatch summary: unknown option --tpo \(did you mean --top\?\); `heapwatch summary --help` lists the options\nUsage: heapwatch summary <file> \[options\]\n$/,
    );
  });

  it('missing and extra arguments, bad values: exit 2, saying which', async () => {
    const cases: [string[], RegExp][] = [
      [['diff', 'a.heapsnapshot'], /missing <after>: heapwatch diff <before> <after>/],
      [['leaks'], /missing <a> <b> <c>/],
      [['summary', 'a', 'b'], /too many arguments \(2; expected 1: <file>\)/],
      [['summary', 'a', '--top', 'ten'], /--top expects a whole number from 0 to 1000, not "ten"/],
      [['summary', 'a', '--top'], /--top needs a value: --top N/],
      [['summary', 'a', '--dominators', 'chrome'], /--dominators expects devtools or memlab, not "chrome"/],
      [['diff', 'a', 'b', '--retainers=-1'], /--retainers expects a whole number from 0 to 100, not "-1"/],
      [['summary', 'a', '--json=yes'], /--json takes no value/],
    ];
    for (const [args, pattern] of cases) {
      const run = await heapwatch(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(pattern);
    }
  });

  it('--quiet: nothing on stderr; --json: only JSON on stdout', async () => {
    const quiet = await heapwatch(['summary', knownHeap(26), '--quiet', '--top', '1']);
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
    const json = await heapwatch(['summary', knownHeap(26), '--json', '--top', '1']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).file).toBe(knownHeap(26));
    // Not a terminal: one line at the end.
    expect(json.stderr).toMatch(
      /^heapwatch summary: parse node26\.heapsnapshot\.gz [\d.]+ s, dominators [\d.]+ s, report [\d.]+ s \([\d.]+ s in all\)\n$/,
    );
  });

  it('stops quietly when stdout is closed early (| head)', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(
      'bash',
      ['-c', `'${process.execPath}' dist/cli.cjs summary ${knownHeap(20)} --top 50 | head -1`],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^.*node20\.heapsnapshot\.gz: [\d,]+ nodes/);
    expect(run.stderr).not.toMatch(/EPIPE|Error/);
  });
});
