// Writes a heap snapshot of a realistic service heap: users with sessions in a Map, string-keyed
// caches, event handlers (closures over per-user state), arrays of numbers and tags.
//   node bench/analyze/generate.mjs <file> [scale]
// Scale 1 (the default) gives about 1.3 M nodes and 3.8 M edges, an 86 MB snapshot of a 54 MB
// heap on Node 20; node count and file size grow linearly with the scale. Deterministic: the
// same scale gives the same heap (a seeded generator, no time or randomness).
import { writeHeapSnapshot } from 'node:v8';

const [file, scaleArg = '1'] = process.argv.slice(2);
const scale = Number(scaleArg);
if (!file || !(scale > 0)) {
  console.error('usage: node bench/analyze/generate.mjs <file> [scale > 0]');
  process.exit(2);
}

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
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
const count = Math.round(17_000 * scale);
for (let i = 0; i < count; i++) {
  const user = new User(i);
  users.set(`user-${i}`, user);
  if (i % 2 === 0) sessions.set(word(16), new Session(user));
  if (i % 3 === 0) cache.set(`page:${i}`, `<div class="user">${user.name} ${word(60)}</div>`);
  if (i % 5 === 0) handlers.push(() => user.onEvent('tick'));
}
globalThis.app = { users, sessions, cache, handlers };

writeHeapSnapshot(file);
console.log(JSON.stringify({ file, scale, users: count, heapUsed: process.memoryUsage().heapUsed }));
