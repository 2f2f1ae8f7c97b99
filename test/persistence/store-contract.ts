// The one contract every store behind the broker's SessionStore / RetainedStore ports keeps (memory, SQLite,
// and next Redis). Each implementation runs it from its own *.test.ts; the durability part runs for stores
// that can be closed and opened again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RetainedStore, SessionStore } from '../../src/broker/ports.js';
import { Delivery, DeliveryState, Session } from '../../src/broker/session.js';
import { createMessage, type Message } from '../../src/broker/message.js';
import type { QoS } from '../../src/protocol/packets.js';

export interface StoreHarness {
  readonly sessions: SessionStore<Session>;
  readonly retained: RetainedStore<Message>;
  /** Sets the wall clock the store reads (ms). */
  setNow(ms: number): void;
  close(): void;
}

export interface StoreImpl {
  readonly name: string;
  /** Opens a new, empty store. */
  open(): StoreHarness;
  /** Closes `h` and opens the same store again (stores that outlive a process only). */
  reopen?(h: StoreHarness): StoreHarness;
  /** Simulates kill -9: drops `h` without closing or committing, then opens the same store again. */
  crash?(h: StoreHarness): StoreHarness;
}

export const T0 = 1_700_000_000_000;

/** Lets a store finish this event-loop turn (its group commit runs at the end of the turn). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function message(topic: string, body: string, qos: QoS = 1, opts: { retain?: boolean; expiry?: number; now?: number } = {}): Message {
  const properties = opts.expiry === undefined ? { userProperties: [['k', 'v']] as [string, string][], correlationData: Buffer.from([0, 1, 255]) } : { messageExpiryInterval: opts.expiry };
  return createMessage(topic, Buffer.from(body), qos, opts.retain ?? false, properties, opts.now ?? T0, 'pub');
}

/** A session the way the broker makes one: through the store when it can (a durable store's queue). */
export function newSession(store: SessionStore<Session>, clientId: string, expiryInterval = 3600): Session {
  const s = store.create?.(clientId) ?? new Session(clientId);
  store.set(s);
  store.changed(s, 'created');
  s.expiryInterval = expiryInterval;
  store.changed(s, 'expiry');
  return s;
}

/** What the broker does before a PUBACK: wait for the store's commit barrier when it has one. */
export function whenDurable(store: SessionStore<Session>): Promise<void> {
  return new Promise((resolve) => (store.afterCommit ? store.afterCommit(resolve) : resolve()));
}

function queued(s: Session): string[] {
  return [...s.queue].map((d) => d.message.payload.toString());
}

export function storeContract(impl: StoreImpl): void {
  const withStore = async (fn: (h: StoreHarness) => Promise<void> | void): Promise<void> => {
    const h = impl.open();
    try {
      await fn(h);
    } finally {
      h.close();
    }
  };

  test(`${impl.name}: sessions are found by client id, listed, counted and deleted`, () =>
    withStore(async (h) => {
      const a = newSession(h.sessions, 'a');
      newSession(h.sessions, 'b');
      assert.equal(h.sessions.get('a'), a);
      assert.equal(h.sessions.size, 2);
      assert.deepEqual([...h.sessions.values()].map((s) => s.clientId).sort(), ['a', 'b']);
      h.sessions.delete('a');
      assert.equal(h.sessions.get('a'), undefined);
      assert.equal(h.sessions.size, 1);
      await turn();
    }));

  test(`${impl.name}: v5 [MQTT-4.6.0-6] a session queue is FIFO through push, shift, unshift and extract`, () =>
    withStore(async (h) => {
      const s = newSession(h.sessions, 'q');
      for (let i = 0; i < 600; i++) s.queue.push(new Delivery(message('t', `m${i}`), 1, false, undefined, undefined));
      assert.equal(s.queue.length, 600);
      for (let i = 0; i < 300; i++) assert.equal(s.queue.shift()!.message.payload.toString(), `m${i}`);
      const d = s.queue.shift()!;
      s.queue.unshift(d);
      assert.equal(s.queue.peek()!.message.payload.toString(), 'm300');
      const odd = s.queue.extract((x) => Number(x.message.payload.toString().slice(1)) % 2 === 1);
      assert.equal(odd.length, 150);
      assert.equal(s.queue.length, 150);
      assert.deepEqual(queued(s).slice(0, 3), ['m300', 'm302', 'm304']);
      s.queue.clear();
      assert.equal(s.queue.length, 0);
      assert.equal(s.queue.shift(), undefined);
      await turn();
    }));

  test(`${impl.name}: the commit barrier releases an acknowledgement only after the change is stored`, () =>
    withStore(async (h) => {
      const s = newSession(h.sessions, 'ack');
      s.incomingQos2.add(7);
      h.sessions.changed(s, 'incoming');
      let released = false;
      const done = whenDurable(h.sessions).then(() => (released = true));
      await done;
      assert.equal(released, true);
      if (impl.crash) {
        // whatever the barrier released must survive a kill -9 right after it
        const h2 = impl.crash(h);
        try {
          assert.deepEqual([...h2.sessions.get('ack')!.incomingQos2], [7]);
        } finally {
          h2.close();
        }
      }
    }));

  test(`${impl.name}: v5 [MQTT-3.3.1-5] retained messages replace per topic, match filters, count bytes and clear`, () =>
    withStore(async (h) => {
      const r = h.retained;
      r.set('a/b', message('a/b', 'one', 0, { retain: true }));
      r.set('a/b', message('a/b', 'two', 0, { retain: true }));
      r.set('a/c/d', message('a/c/d', 'three', 1, { retain: true }));
      r.set('x', message('x', 'four', 2, { retain: true }));
      assert.equal(r.get('a/b')!.payload.toString(), 'two');
      assert.equal(r.size, 3);
      assert.equal(r.bytes, 'two'.length + 'three'.length + 'four'.length);
      assert.deepEqual([...r.match('a/#')].map((x) => x.topic).sort(), ['a/b', 'a/c/d']);
      assert.deepEqual([...r.match('a/+')].map((x) => x.topic), ['a/b']);
      r.set('a/b', undefined);
      assert.equal(r.get('a/b'), undefined);
      assert.equal(r.size, 2);
      await turn();
    }));

  const reopen = impl.reopen;
  const crash = impl.crash;
  if (!reopen || !crash) return;

  test(`${impl.name}: v5 [MQTT-3.1.2-5] a session comes back with subscriptions (all 5.0 options), queue, inflight, QoS 2 ids and will`, async () => {
    let h = impl.open();
    try {
      const s = newSession(h.sessions, 'keep');
      s.expiryInterval = 3600;
      s.subscriptions.set('a/+', { session: s, filter: 'a/+', options: { qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionId: 42 }, share: undefined });
      s.subscriptions.set('$share/g/b', { session: s, filter: '$share/g/b', options: { qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: undefined }, share: 'g' });
      h.sessions.changed(s, 'subscriptions');
      const m = message('a/x', 'inflight-1', 2);
      const sent = new Delivery(m, 2, true, [42, 7], undefined);
      sent.packetId = 9;
      sent.state = DeliveryState.PubrelSent;
      s.inflight.set(9, sent);
      const second = new Delivery(message('a/y', 'inflight-2'), 1, false, undefined, undefined);
      second.packetId = 3;
      second.state = DeliveryState.PublishSent;
      s.inflight.set(3, second);
      h.sessions.changed(s, 'inflight');
      for (let i = 0; i < 5; i++) s.queue.push(new Delivery(message('a/q', `q${i}`), 1, false, [42], undefined));
      s.incomingQos2.add(11);
      h.sessions.changed(s, 'incoming');
      s.pendingWill = { topic: 'will/t', payload: Buffer.from('bye'), qos: 1, retain: false, properties: { willDelayInterval: 30 } };
      h.sessions.changed(s, 'will');
      await whenDurable(h.sessions);

      h = reopen(h);
      const back = h.sessions.get('keep')!;
      assert.equal(back.expiryInterval, 3600);
      const restored = [...(h.sessions.restored?.() ?? [])];
      const subs = restored.find((r) => r.session === back)!.subscriptions;
      assert.deepEqual(
        [...subs].sort((x, y) => x.filter.localeCompare(y.filter)),
        [
          { filter: '$share/g/b', options: { qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId: undefined } },
          { filter: 'a/+', options: { qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionId: 42 } },
        ],
      );
      assert.deepEqual([...back.inflight.keys()], [9, 3], 'inflight in send order');
      const d9 = back.inflight.get(9)!;
      assert.equal(d9.state, DeliveryState.PubrelSent);
      assert.equal(d9.qos, 2);
      assert.equal(d9.retain, true);
      assert.deepEqual(d9.subscriptionIds, [42, 7]);
      assert.equal(d9.message.topic, 'a/x');
      assert.deepEqual(d9.message.properties?.correlationData, Buffer.from([0, 1, 255]));
      assert.deepEqual(d9.message.properties?.userProperties, [['k', 'v']]);
      assert.deepEqual(queued(back), ['q0', 'q1', 'q2', 'q3', 'q4']);
      assert.equal(back.queuedBytes, 10);
      assert.deepEqual([...back.incomingQos2], [11]);
      assert.equal(back.pendingWill?.topic, 'will/t');
      assert.equal(back.pendingWill?.properties?.willDelayInterval, 30);
    } finally {
      h.close();
    }
  });

  test(`${impl.name}: v5 [MQTT-3.1.2-23] time spent down counts toward session expiry`, async () => {
    let h = impl.open();
    try {
      h.setNow(T0);
      const s = newSession(h.sessions, 'gone');
      s.expiryInterval = 60;
      h.sessions.changed(s, 'expiry'); // offline (no connection) since T0
      await whenDurable(h.sessions);
      h.setNow(T0 + 45_000);
      h = crash(h);
      const r = [...(h.sessions.restored?.() ?? [])].find((x) => x.session.clientId === 'gone')!;
      assert.ok(r.offlineMs >= 45_000 && r.offlineMs < 46_000, `offline for ${r.offlineMs} ms`);
    } finally {
      h.close();
    }
  });

  test(`${impl.name}: v5 [MQTT-3.3.2-5] retained messages survive, except those whose expiry passed while down`, async () => {
    let h = impl.open();
    try {
      h.setNow(T0);
      h.retained.set('keep', message('keep', 'k', 1, { retain: true, expiry: 3600 }));
      h.retained.set('lapse', message('lapse', 'l', 1, { retain: true, expiry: 10 }));
      h.retained.set('forever', message('forever', 'f', 0, { retain: true }));
      await whenDurable(h.sessions);
      h.setNow(T0 + 20_000);
      h = reopen(h);
      assert.equal(h.retained.get('keep')?.payload.toString(), 'k');
      assert.equal(h.retained.get('keep')?.expiresAt, T0 + 3_600_000, 'expiry is an absolute deadline');
      assert.equal(h.retained.get('forever')?.payload.toString(), 'f');
      assert.equal(h.retained.get('lapse'), undefined);
    } finally {
      h.close();
    }
  });

  test(`${impl.name}: a deleted session leaves nothing behind, and a new one under the same id starts empty`, async () => {
    let h = impl.open();
    try {
      const s = newSession(h.sessions, 'x');
      s.queue.push(new Delivery(message('t', 'old'), 1, false, undefined, undefined));
      s.incomingQos2.add(1);
      h.sessions.changed(s, 'incoming');
      await whenDurable(h.sessions);
      h.sessions.delete('x');
      const fresh = newSession(h.sessions, 'x');
      assert.equal(fresh.queue.length, 0);
      await whenDurable(h.sessions);
      h = reopen(h);
      const back = h.sessions.get('x')!;
      assert.equal(back.queue.length, 0);
      assert.equal(back.incomingQos2.size, 0);
    } finally {
      h.close();
    }
  });

  test(`${impl.name}: v5 [MQTT-3.1.2-23] a session with Session Expiry 0 ends with its connection and is not brought back`, async () => {
    let h = impl.open();
    try {
      const s = newSession(h.sessions, 'brief', 0);
      s.queue.push(new Delivery(message('t', 'x'), 1, false, undefined, undefined));
      newSession(h.sessions, 'lasting', 1);
      const lowered = newSession(h.sessions, 'lowered', 3600);
      lowered.queue.push(new Delivery(message('t', 'y'), 1, false, undefined, undefined));
      await whenDurable(h.sessions);
      lowered.expiryInterval = 0; // 5.0: DISCONNECT or a resuming CONNECT may lower it to 0
      h.sessions.changed(lowered, 'expiry');
      await whenDurable(h.sessions);
      h = crash(h);
      assert.equal(h.sessions.get('brief'), undefined);
      assert.equal(h.sessions.get('lowered'), undefined);
      assert.ok(h.sessions.get('lasting'));
    } finally {
      h.close();
    }
  });

  test(`${impl.name}: a change not yet committed is lost by a crash, and its acknowledgement was never released`, async () => {
    let h = impl.open();
    try {
      const s = newSession(h.sessions, 'c');
      await whenDurable(h.sessions);
      s.queue.push(new Delivery(message('t', 'unacked'), 1, false, undefined, undefined));
      let released = false;
      h.sessions.afterCommit?.(() => (released = true));
      assert.equal(released, false, 'the ack waits for the commit');
      h = crash(h);
      assert.equal(h.sessions.get('c')!.queue.length, 0);
    } finally {
      h.close();
    }
  });
}
