// Steady after a warm-up: grows by ~4 MB/s for 5 s (a cache being loaded, ~20 MB), then only
// replaces entries in place.
import { entry, every10ms } from './common.mjs';

const table = [];
every10ms((i) => {
  for (let k = 0; k < 40; k++) {
    const n = i * 40 + k;
    if (table.length < 20_000) table.push(entry(n));
    else table[n % 20_000] = entry(n);
  }
});
