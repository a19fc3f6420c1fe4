// Progress of the demo's snapshots on a terminal. A snapshot stops the JavaScript thread that
// takes it, so the line is drawn from a worker thread, which watches heapwatch's temporary file
// (`.heapwatch-<pid>-<n>.tmp`, renamed to the snapshot's name when complete) grow. It writes to
// fd 2 itself: a worker's process.stderr goes through the main thread, which is busy. On
// anything but a terminal it draws nothing; the result lines say how long each snapshot took.
import { readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { isMainThread, Worker, workerData } from 'node:worker_threads';

const DELAY_MS = 1000;

const drawing = isatty(2);

/** console.log, after clearing a progress line the worker may have left on the terminal. */
export function say(text) {
  if (drawing) writeSync(2, '\r\x1b[K');
  console.log(text);
}

/** Starts watching `dirs` (and directories made in them later); returns a function that stops. */
export function showSnapshotProgress(dirs) {
  if (!drawing) return () => {};
  const worker = new Worker(new URL(import.meta.url), { workerData: { dirs } });
  worker.unref();
  return () => worker.terminate();
}

function temporaryFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...temporaryFiles(path));
    else if (/^\.heapwatch-\d+-\d+\.tmp$/.test(entry.name)) found.push(path);
  }
  return found;
}

function watch(dirs) {
  const seen = new Map(); // temporary file -> when it was first seen
  let drawn = false;
  setInterval(() => {
    let line = '';
    for (const dir of dirs) {
      for (const path of temporaryFiles(dir)) {
        if (!seen.has(path)) seen.set(path, Date.now());
        const ms = Date.now() - seen.get(path);
        if (ms < DELAY_MS) continue;
        let bytes;
        try {
          bytes = statSync(path).size;
        } catch {
          continue; // renamed (complete) in the meantime
        }
        const what = bytes === 0 ? 'building the graph' : `${(bytes / 2 ** 20).toFixed(1)} MB written`;
        line = `  snapshot: ${what}, ${(ms / 1000).toFixed(1)} s`;
      }
    }
    // The cursor goes back to the line's start: what the process prints next (heapwatch's own
    // stderr line once the snapshot is written, longer than this) replaces it.
    if (line !== '') writeSync(2, `\r${line}\x1b[K\r`);
    else if (drawn) writeSync(2, '\r\x1b[K');
    drawn = line !== '';
  }, 200);
}

if (!isMainThread && workerData?.dirs) watch(workerData.dirs);
