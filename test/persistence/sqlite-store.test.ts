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
import { Delivery, sessionFactory, type Session } from '../../src/broker/session.js';
import { DATABASE_FILE, openSqliteStores, SCHEMA_VERSION, SqliteQueue, StoreError, type SqliteStores } from '../../src/persistence/index.js';
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

storeContract({
  name: 'sqlite',
  open: () => openAt(tempDir(), { now: T0 }),
  reopen: (h) => {
    const s = h as SqliteHarness;
    s.close();
    return openAt(s.dir, s.clock);
  },
  crash: (h) => {
    const s = h as SqliteHarness;
    s.stores.database.abort();
    return openAt(s.dir, s.clock);
  },
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
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM queue').get(), { n: 50 });
    for (let i = 0; i < 50; i++) h.sessions.get(`s${i}`)!.queue.shift();
    await whenDurable(h.sessions);
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM queue').get(), { n: 0 });
  } finally {
    h.close();
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
