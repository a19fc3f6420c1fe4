// heapwatch never keeps a process alive: not by loading, not after a snapshot.
import { expect, test } from 'vitest';
import { heapdumpsIn, run, start, tagged, tempDir } from './helpers.js';

const PROMPT_MS = 3000;

test('a process that only requires heapwatch exits promptly with code 0', async () => {
  const cwd = tempDir();
  const started = Date.now();
  const exit = await run('keep-alive.cjs', { cwd, args: ['require'], timeoutMs: 15_000 });
  expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
  expect(Date.now() - started).toBeLessThan(PROMPT_MS);
  expect(exit.stderr).toBe('');
});

test('after a signal snapshot the process still exits on its own, having delivered the event', async () => {
  const cwd = tempDir();
  const started = Date.now();
  const exit = await run('keep-alive.cjs', { cwd, args: ['self-signal'], timeoutMs: 15_000 });
  expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
  expect(tagged(exit.stdout, 'event')).toEqual([expect.objectContaining({ trigger: 'signal' })]);
  expect(heapdumpsIn(cwd)).toHaveLength(1);
  expect(Date.now() - started).toBeLessThan(PROMPT_MS + 2000);
});

test('after a signal from outside, an idle process exits once its own work is done', async () => {
  const cwd = tempDir();
  const child = start('signal-target.cjs', { cwd, timeoutMs: 15_000 });
  await child.waitFor('ready');
  child.signal('SIGUSR2');
  await child.waitFor('event');
  const ended = Date.now();
  child.process.stdin!.end(); // the only thing keeping it alive
  expect(await child.exited).toMatchObject({ code: 0, signal: null });
  expect(Date.now() - ended).toBeLessThan(PROMPT_MS);
});

test('after an API snapshot the process exits on its own', async () => {
  const cwd = tempDir();
  const exit = await run('keep-alive.cjs', { cwd, args: ['api'], timeoutMs: 15_000 });
  expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
  expect(tagged(exit.stdout, 'event')).toEqual([expect.objectContaining({ trigger: 'api' })]);
});

test('process.exit() with the signal watcher running and a worker loaded exits cleanly', async () => {
  const cwd = tempDir();
  const exit = await run('keep-alive.cjs', { cwd, args: ['process-exit'], timeoutMs: 15_000 });
  expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
  expect(exit.stderr).toBe('');
});
