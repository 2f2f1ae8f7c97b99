// Shared pieces of the conformance suite: run a test for 3.1.1 and 5.0, open raw clients that close
// themselves when the test ends, unique client ids, and the canary that must survive every attack.
import { test, type TestContext } from 'node:test';
import { brokerFor, type BrokerOptions, type BrokerUnderTest } from '../helpers/broker-under-test.js';
import { RawClient, WAIT_MS } from '../helpers/raw-client.js';
import { LEVEL_311, LEVEL_5, type Level } from '../helpers/raw-codes.js';
import { puback, type ConnectSpec } from '../helpers/raw-packets.js';

export { LEVEL_311, LEVEL_5, WAIT_MS };
export type { Level };

/** Spec tags per version, written out literally (`'v3.1.1 [MQTT-3.1.0-2]'`) so the coverage script can grep them. */
export interface Tags {
  v4?: string;
  v5?: string;
}

const TAG_PREFIX: Record<'v4' | 'v5', string> = { v4: 'v3.1.1 [', v5: 'v5 [' };

/** Registers one test per version tagged in `tags`; the body gets the protocol level. */
export function both(tags: Tags, title: string, fn: (level: Level, t: TestContext) => Promise<void>, timeout = 30_000): void {
  for (const key of ['v4', 'v5'] as const) {
    const tag = tags[key];
    if (!tag) continue;
    if (!tag.startsWith(TAG_PREFIX[key])) throw new Error(`tag ${tag} must start with ${TAG_PREFIX[key]}`);
    test(`${tag} ${title}`, { timeout }, (t) => fn(key === 'v4' ? LEVEL_311 : LEVEL_5, t));
  }
}

export function broker(t: TestContext, options?: BrokerOptions): Promise<BrokerUnderTest> {
  return brokerFor(t, options);
}

let seq = 0;
/** A client id unique within this process, letters and digits only (always acceptable, [MQTT-3.1.3-5]). */
export function uid(prefix = 'c'): string {
  seq += 1;
  return `${prefix}${process.pid}x${seq}`;
}

/** Opens a raw TCP connection that is destroyed when the test ends. */
export async function open(t: TestContext, b: BrokerUnderTest, level: Level, label = 'client'): Promise<RawClient> {
  const c = await RawClient.open(b.port, level, label);
  t.after(() => c.destroy());
  return c;
}

/** Opens a connection and completes CONNECT / CONNACK (clean session, fresh client id unless given). */
export async function connected(
  t: TestContext,
  b: BrokerUnderTest,
  level: Level,
  spec: Omit<ConnectSpec, 'level'> = {},
  label = 'client',
): Promise<RawClient> {
  const c = await open(t, b, level, label);
  await c.connect({ clientId: uid(label.replace(/[^a-z0-9]/gi, '')), ...spec });
  return c;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A subscriber and a publisher connected before an attack; `check()` proves the broker still routes
 * their messages afterwards (the attack must not crash, hang or disturb other clients).
 */
export interface Canary {
  check(): Promise<void>;
}

export async function canary(t: TestContext, b: BrokerUnderTest): Promise<Canary> {
  const sub = await connected(t, b, LEVEL_311, {}, 'canarysub');
  const pub = await connected(t, b, LEVEL_5, {}, 'canarypub');
  const topic = `canary/${uid()}`;
  await sub.subscribe([{ filter: topic, qos: 1 }]);
  let n = 0;
  return {
    async check() {
      n += 1;
      await pub.publishQos1({ topic, payload: `alive ${n}` }, n);
      const msg = await sub.expectPacket('PUBLISH');
      if (msg.payload?.toString() !== `alive ${n}`) throw new Error(`canary got ${msg.payload?.toString()}`);
      sub.send(puback(LEVEL_311, msg.packetId!));
    },
  };
}
