// Shared by the workloads: a steady stream of short-lived garbage, as a server handling requests
// makes. Every 10 ms: ~100 KB of objects and strings that die young.
export function churn() {
  const garbage = [];
  for (let i = 0; i < 1000; i++) garbage.push({ id: i, name: `request-${i}`, tags: [i, i + 1] });
  return garbage.length;
}

export function entry(i) {
  // ~1 KB retained per entry: an object holding an array of 120 small integers (a string would
  // not do: V8 may share or concatenate string parts, so their size is not what it seems).
  const payload = new Array(120);
  for (let k = 0; k < 120; k++) payload[k] = i + k;
  return { id: i, payload };
}

/** Runs `tick` every 10 ms until the process is told to stop. */
export function every10ms(tick) {
  let i = 0;
  return setInterval(() => {
    churn();
    tick(i++);
  }, 10);
}
