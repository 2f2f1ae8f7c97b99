// Garbage after a valid CONNECT, from many connections at once: each is closed or ignored, never
// crashing or hanging the broker, and a canary connected before keeps receiving its messages.
import { both, broker, canary, connected } from './support.js';

/** Small deterministic PRNG (mulberry32), so a failure can be replayed from the seed in the test name. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20260311;
const ATTACKERS = 60;

both({ v4: 'v3.1.1 [MQTT-4.8.0-1]', v5: 'v5 [MQTT-4.13.1-1]' }, `${ATTACKERS} connections sending random bytes (seed ${SEED}) leave the broker serving`, async (level, t) => {
  const b = await broker(t);
  const bird = await canary(t, b);
  const next = rng(SEED + level);
  for (let i = 0; i < ATTACKERS; i++) {
    const c = await connected(t, b, level, {}, `attacker${i}`);
    const junk = Buffer.alloc(1 + Math.floor(next() * 300));
    for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(next() * 256);
    c.send(junk);
  }
  await bird.check();
  // Whatever each attacker got, the broker is still up: a new client connects and works.
  const fresh = await connected(t, b, level, {}, 'fresh');
  await fresh.ping();
  await bird.check();
});
