// Steady on average: a cache that fills at ~2 MB/s up to 8,000 entries (~8 MB, about 4 s), is
// cleared, and fills again.
import { entry, every10ms } from './common.mjs';

const cache = new Map();
every10ms((i) => {
  for (let k = 0; k < 20; k++) cache.set(i * 20 + k, entry(i * 20 + k));
  if (cache.size >= 8_000) cache.clear();
});
