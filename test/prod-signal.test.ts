// Issue 5: signal=<NAME> answers another signal, also while JavaScript is busy; SIGUSR1 refused.

import { describe, expect, it } from 'vitest';
import { until } from './helpers.js';
import { heapwatchWith, snapshots, start, tempDir } from './prod-helpers.js';

describe('signal=<NAME>', () => {
  it.each(['SIGHUP', 'SIGWINCH'])('%s writes a snapshot during a busy loop', async (sig) => {
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['busy', '15000'],
      env: { NODE_HEAPDUMP_OPTIONS: `signal=${sig},dir=${dir}` },
    });
    const settings = await child.next('settings');
    expect(settings.signalName).toBe(sig);
    await child.next('busy');
    await new Promise((r) => setTimeout(r, 100));
    child.signal(sig as NodeJS.Signals);
    const done = await child.next('done', 20_000);
    expect(done.files).toHaveLength(1); // seen by the loop itself: written while JS was busy
    expect(done.ms).toBeLessThan(15_000);
    const e = await child.next('snapshot');
    expect(e.trigger).toBe('signal');
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    expect(snapshots(dir)).toHaveLength(1);
  });

  it('signal=SIGURG from the environment, idle process', async () => {
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['idle'],
      env: { NODE_HEAPDUMP_OPTIONS: `signal=SIGURG,dir=${dir}` },
    });
    await child.next('ready');
    child.signal('SIGURG');
    expect((await child.next('snapshot')).trigger).toBe('signal');
    child.signal('SIGTERM');
    await child.exited;
  });

  it('SIGUSR1 is refused: configure throws, the env item is named on stderr and SIGUSR2 stays', async () => {
    const { hw } = heapwatchWith();
    expect(() => hw.configure({ signal: 'SIGUSR1' })).toThrow(
      'Expected a boolean or one of SIGUSR2, SIGHUP, SIGWINCH, SIGURG, SIGPWR for `options.signal` but received "SIGUSR1" (string): Node\'s inspector uses SIGUSR1 (it starts the debugger)',
    );
    const dir = tempDir();
    const child = start('prod-child.cjs', {
      cwd: dir,
      args: ['idle'],
      env: { NODE_HEAPDUMP_OPTIONS: `signal=SIGUSR1,dir=${dir}` },
    });
    const settings = await child.next('settings');
    expect(settings).toMatchObject({ signal: true, signalName: 'SIGUSR2' });
    // stderr and stdout reach the parent separately: wait for the line rather than race it.
    const refused = /ignoring NODE_HEAPDUMP_OPTIONS item "signal=SIGUSR1": .*Node's inspector uses SIGUSR1/;
    await until(() => refused.test(child.stderr), 5000, 'the refusal on stderr');
    await child.next('ready');
    child.signal('SIGUSR2');
    expect((await child.next('snapshot')).trigger).toBe('signal');
    child.signal('SIGTERM');
    await child.exited;
  });
});
