// Leaks ~1 MB/s: ten ~1 KB entries every 10 ms into an array that is never cleared.
import { entry, every10ms } from './common.mjs';

const leaked = [];
every10ms((i) => {
  for (let k = 0; k < 10; k++) leaked.push(entry(i * 10 + k));
});
