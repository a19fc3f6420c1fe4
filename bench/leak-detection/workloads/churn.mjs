// Steady: a fixed working set of 10,000 ~1 KB entries (~10 MB) where 10 entries are replaced
// every 10 ms, so old objects keep dying in the old generation while the heap stays level.
import { entry, every10ms } from './common.mjs';

const working = new Map();
for (let i = 0; i < 10_000; i++) working.set(i, entry(i));
every10ms((i) => {
  for (let k = 0; k < 10; k++) working.set((i * 10 + k) % 10_000, entry(i * 10 + k));
});
