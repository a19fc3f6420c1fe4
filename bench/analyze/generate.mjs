// Writes heap snapshots of a realistic service heap: users in a Map, sessions in a Map,
// string-keyed caches of rendered HTML, event handlers (closures over per-user state), arrays of
// numbers and tags.
//   node bench/analyze/generate.mjs <file> [scale] [--twice]
// Scale 1 (the default) gives about 1.3 M nodes and 3.8 M edges, an 86 MB snapshot of a 54 MB
// heap (Node 20); nodes, edges and bytes grow linearly with the scale. --twice writes a second
// snapshot, <file> with ".2" before the extension, after a tenth of the sessions were replaced
// and as many users added: two snapshots of one process, for `heapwatch diff`.
// Deterministic: the same scale gives the same heap (a seeded generator, no clock).
import { writeHeapSnapshot } from 'node:v8';

const args = process.argv.slice(2);
const twice = args.includes('--twice');
const [file, scaleArg = '1'] = args.filter((a) => a !== '--twice');
const scale = Number(scaleArg);
if (!file || !(scale > 0)) {
  console.error('usage: node bench/analyze/generate.mjs <file> [scale > 0] [--twice]');
  process.exit(2);
}

// mulberry32: small, seeded, good enough to make distinct keys.
let seed = 42;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const word = (n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(random() * 26));
  return s;
};

class User {
  constructor(id) {
    this.id = id;
    this.name = `${word(6)} ${word(8)}`;
    this.email = `${word(7)}@${word(5)}.example`;
    this.tags = [word(4), word(5), word(3)];
    this.scores = [random() * 100, random() * 100, random() * 100];
    this.profile = { age: Math.floor(random() * 80), city: word(6), bio: word(40) };
    this.onEvent = (event) => `${this.name}: ${event}`;
  }
}

class Session {
  constructor(user) {
    this.user = user;
    this.token = word(32);
    this.expires = 1_700_000_000_000 + Math.floor(random() * 1e9);
    this.history = [];
    for (let i = 0; i < 4; i++) this.history.push({ path: `/${word(5)}/${word(3)}`, at: i });
  }
}

const users = new Map();
const sessions = new Map();
const cache = new Map();
const handlers = [];
let next = 0;
function addUser() {
  const i = next++;
  const user = new User(i);
  users.set(`user-${i}`, user);
  if (i % 2 === 0) sessions.set(word(16), new Session(user));
  if (i % 3 === 0) cache.set(`page:${i}`, `<div class="user">${user.name} ${word(60)}</div>`);
  if (i % 5 === 0) handlers.push(() => user.onEvent('tick'));
}
const count = Math.round(14_500 * scale);
for (let i = 0; i < count; i++) addUser();
globalThis.app = { users, sessions, cache, handlers };

writeHeapSnapshot(file);
const out = {
  file,
  scale,
  users: users.size,
  sessions: sessions.size,
  heapUsed: process.memoryUsage().heapUsed,
};
if (twice) {
  let replace = Math.round(sessions.size / 10);
  for (const key of sessions.keys()) {
    if (replace-- <= 0) break;
    sessions.delete(key);
  }
  for (let i = 0; i < count / 10; i++) addUser();
  out.second = file.replace(/(\.heapsnapshot)?$/, '.2$1');
  writeHeapSnapshot(out.second);
}
console.log(JSON.stringify(out));
