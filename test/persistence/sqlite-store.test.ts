// The store contract over the SQLite stores, plus what only a disk-backed store promises: an offline session's
// queue lives on disk, the schema is versioned, a damaged file is refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryRetainedStore } from '../../src/broker/memory-stores.js';
import type { Message } from '../../src/broker/message.js';
import type { SessionStore } from '../../src/broker/ports.js';
import { Delivery, DeliveryState, sessionFactory, type Session } from '../../src/broker/session.js';
import { DATABASE_FILE, MIGRATIONS, openSqliteStores, SCHEMA_VERSION, SqliteQueue, StoreError, type SqliteStores } from '../../src/persistence/index.js';
import { message, newSession, storeContract, T0, whenDurable, type StoreHarness } from './store-contract.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'glassmq-store-'));
  dirs.push(d);
  return d;
}

interface SqliteHarness extends StoreHarness {
  readonly dir: string;
  readonly clock: { now: number };
  readonly stores: SqliteStores<Session, Delivery, Message>;
}

function openAt(dir: string, clock: { now: number }): SqliteHarness {
  const stores = openSqliteStores<Session, Delivery, Message>({
    dataDir: dir,
    sync: 'normal',
    version: 'test',
    factory: sessionFactory,
    retained: new MemoryRetainedStore<Message>(),
    now: () => clock.now,
  });
  return {
    dir,
    clock,
    stores,
    sessions: stores.sessions,
    retained: stores.retained,
    setNow: (ms) => (clock.now = ms),
    close: () => stores.close(),
  };
}

function crash(h: SqliteHarness): SqliteHarness {
  h.stores.database.abort();
  return openAt(h.dir, h.clock);
}

storeContract({
  name: 'sqlite',
  open: () => openAt(tempDir(), { now: T0 }),
  reopen: (h) => {
    const s = h as SqliteHarness;
    s.close();
    return openAt(s.dir, s.clock);
  },
  crash: (h) => crash(h as SqliteHarness),
});

test('sqlite: an offline session keeps its queued messages on disk, not in memory', async () => {
  let h = openAt(tempDir(), { now: T0 });
  try {
    const s = newSession(h.sessions, 'offline');
    s.expiryInterval = 3600;
    for (let i = 0; i < 2000; i++) s.queue.push(new Delivery(message('t', `m${i}`), 1, false, undefined, undefined));
    await whenDurable(h.sessions);
    assert.equal((s.queue as unknown as SqliteQueue<Delivery>).resident, 0);
    assert.equal(s.queue.length, 2000);
    h.close();
    h = openAt(h.dir, h.clock);
    const back = h.sessions.get('offline')!;
    assert.equal(back.queue.length, 2000);
    assert.equal((back.queue as unknown as SqliteQueue<Delivery>).resident, 0, 'nothing loaded until it is sent');
    assert.equal(back.queue.shift()!.message.payload.toString(), 'm0');
    assert.equal(back.queue.length, 1999);
  } finally {
    h.close();
  }
});

test('sqlite: a delivered message leaves no row behind', async () => {
  const h = openAt(tempDir(), { now: T0 });
  try {
    const m = message('fan', 'payload');
    for (let i = 0; i < 50; i++) newSession(h.sessions, `s${i}`).queue.push(new Delivery(m, 1, false, undefined, undefined));
    await whenDurable(h.sessions);
    const db = h.stores.database.db;
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM deliveries').get(), { n: 50 });
    // half are sent (into the inflight window, then acknowledged), half dropped from the queue
    for (let i = 0; i < 50; i++) {
      const s = h.sessions.get(`s${i}`)!;
      const d = s.queue.shift()!;
      if (i % 2 === 0) sendFromQueue(h.sessions, s, d);
    }
    await whenDurable(h.sessions);
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM deliveries').get(), { n: 25 }, 'the sent ones stay until acknowledged');
    for (let i = 0; i < 50; i += 2) {
      const s = h.sessions.get(`s${i}`)!;
      s.inflight.clear();
      h.sessions.changed(s, 'inflight');
    }
    await whenDurable(h.sessions);
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM deliveries').get(), { n: 0 });
  } finally {
    h.close();
  }
});

/** What the broker's delivery engine does when it sends a queued delivery: a packet id, the inflight window. */
function sendFromQueue(store: SessionStore<Session>, s: Session, d: Delivery): void {
  d.packetId = s.allocatePacketId();
  d.state = DeliveryState.PublishSent;
  s.inflight.set(d.packetId, d);
  store.changed(s, 'inflight');
}

test('sqlite: v5 [MQTT-4.4.0-1] [MQTT-4.3.3-10] a crash while messages are in flight: QoS 2 keeps its packet id, QoS 1 is sent again from the queue, in order', async () => {
  let h = openAt(tempDir(), { now: T0 });
  try {
    const s = newSession(h.sessions, 'sub');
    for (let i = 0; i < 6; i++) s.queue.push(new Delivery(message('t', `m${i}`, i < 2 ? 2 : 1), i < 2 ? 2 : 1, false, undefined, undefined));
    await whenDurable(h.sessions);
    // m0 (QoS 2) has had its PUBREC, m1 (QoS 2) and m2, m3 (QoS 1) are in flight, m4 and m5 still queued
    for (let i = 0; i < 4; i++) sendFromQueue(h.sessions, s, s.queue.shift()!);
    await whenDurable(h.sessions);
    const m0 = s.inflight.get(1)!;
    m0.state = DeliveryState.PubrelSent;
    h.sessions.changed(s, 'inflight');
    await whenDurable(h.sessions);
    h = crash(h);
    const back = h.sessions.get('sub')!;
    assert.deepEqual(
      [...back.inflight.values()].map((d) => [d.packetId, d.state, d.message.payload.toString()]),
      [
        [1, DeliveryState.PubrelSent, 'm0'],
        [2, DeliveryState.PublishSent, 'm1'],
      ],
    );
    assert.deepEqual([...back.queue].map((d) => d.message.payload.toString()), ['m2', 'm3', 'm4', 'm5'], 'QoS 1 in flight comes back first in the queue');
    // a clean shutdown writes the QoS 1 packet ids too, so they are re-sent with them [MQTT-4.4.0-1]
    const again = h.sessions.get('sub')!;
    for (let i = 0; i < 2; i++) sendFromQueue(h.sessions, again, again.queue.shift()!);
    await whenDurable(h.sessions);
    h.close();
    h = openAt(h.dir, h.clock);
    const clean = h.sessions.get('sub')!;
    assert.deepEqual([...clean.inflight.values()].map((d) => d.message.payload.toString()), ['m0', 'm1', 'm2', 'm3']);
    assert.deepEqual([...clean.queue].map((d) => d.message.payload.toString()), ['m4', 'm5']);
  } finally {
    h.close();
  }
});

test('sqlite: a file at schema version 1 (queue and inflight tables) is migrated, keeping every delivery in order', () => {
  const dir = tempDir();
  const file = join(dir, DATABASE_FILE);
  const db = new Database(file);
  db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL, glassmq TEXT NOT NULL)');
  db.exec(MIGRATIONS[0] as string);
  db.prepare("INSERT INTO schema_version VALUES (1, 0, 'old')").run();
  db.prepare("INSERT INTO sessions VALUES ('old', 3600, NULL, NULL)").run();
  const msg = "'t', x'6869', 1, 0, NULL, 0, NULL, NULL";
  db.exec(`INSERT INTO queue VALUES ('old', 10, 1, 0, NULL, ${msg}), ('old', 11, 1, 0, '4,5', ${msg})`);
  db.exec(`INSERT INTO inflight VALUES ('old', 7, 1, 13, 1, 0, NULL, ${msg}), ('old', 3, 2, 12, 2, 0, NULL, ${msg})`);
  db.close();
  const h = openAt(dir, { now: T0 });
  try {
    const s = h.sessions.get('old')!;
    assert.deepEqual([...s.inflight.keys()], [3, 7], 'inflight in send order');
    assert.equal(s.inflight.get(3)!.state, DeliveryState.PubrelSent);
    assert.equal(s.queue.length, 2);
    assert.deepEqual([...s.queue].map((d) => d.subscriptionIds), [undefined, [4, 5]]);
    assert.equal((h.stores.database.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('queue', 'inflight')").get() as { n: number }).n, 0);
  } finally {
    h.close();
  }
});

/** A file at schema version 2, as migrations 1 and 2 made it; `early`: migration 2 without its last statement. */
function versionTwoFile(dir: string, early: boolean): void {
  const db = new Database(join(dir, DATABASE_FILE));
  db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL, glassmq TEXT NOT NULL)');
  db.exec(MIGRATIONS[0] as string);
  const second = MIGRATIONS[1] as string;
  db.exec(early ? second.replace(/ALTER TABLE sessions ADD COLUMN connection_will BLOB;/, '') : second);
  db.prepare("INSERT INTO schema_version VALUES (1, 0, 'old'), (2, 0, 'old')").run();
  db.prepare("INSERT INTO sessions (client_id, expiry_interval, offline_since, pending_will) VALUES ('old', 3600, 0, NULL)").run();
  db.close();
}

test('sqlite: a version-2 file written before migration 2 gained connection_will opens (migration 3 adds the column), and its sessions are kept and writable', async () => {
  for (const early of [true, false]) {
    const dir = tempDir();
    versionTwoFile(dir, early);
    const h = openAt(dir, { now: T0 });
    try {
      assert.ok(h.sessions.get('old'), `early=${early}: the session is restored`);
      const columns = h.stores.database.db.prepare('PRAGMA table_info(sessions)').all() as { name: string }[];
      assert.equal(columns.filter((c) => c.name === 'connection_will').length, 1, `early=${early}: one connection_will column`);
      newSession(h.sessions, 'new', 60);
      await whenDurable(h.sessions);
      assert.equal((h.stores.database.db.prepare("SELECT count(*) AS n FROM sessions WHERE client_id = 'new'").get() as { n: number }).n, 1);
    } finally {
      h.close();
    }
  }
});

test('sqlite: schema version is recorded; a file from a newer glassmq is refused naming the file', () => {
  const dir = tempDir();
  openAt(dir, { now: T0 }).close();
  const db = new Database(join(dir, DATABASE_FILE));
  assert.equal((db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number }).v, SCHEMA_VERSION);
  db.prepare("INSERT INTO schema_version (version, applied_at, glassmq) VALUES (?, 0, '99.0.0')").run(SCHEMA_VERSION + 1);
  db.close();
  assert.throws(
    () => openAt(dir, { now: T0 }),
    (err: unknown) => err instanceof StoreError && err.code === 'SCHEMA_TOO_NEW' && err.file === join(dir, DATABASE_FILE),
  );
});

test('sqlite: a damaged database file is refused naming the file, never reset', () => {
  const dir = tempDir();
  const file = join(dir, DATABASE_FILE);
  writeFileSync(file, Buffer.alloc(8192, 0x5a));
  assert.throws(() => openAt(dir, { now: T0 }), (err: unknown) => err instanceof StoreError && err.code === 'DATABASE_CORRUPT' && err.file === file);
});

test('sqlite: a second store on the same directory is refused while the first holds it', () => {
  const dir = tempDir();
  const first = openAt(dir, { now: T0 });
  try {
    assert.throws(() => openAt(dir, { now: T0 }), (err: unknown) => err instanceof StoreError && err.code === 'DATABASE_LOCKED');
  } finally {
    first.close();
  }
});
