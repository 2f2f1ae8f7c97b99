// The same options matrix of glassmq pub / sub / rr, against glassmq's own broker (started in this process).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createBroker, type RunningBroker } from '../../src/index.js';
import { defineClientMatrix, startGlassmqSub, uniqueTopic } from './support/matrix.js';

let broker: RunningBroker;
before(async () => {
  broker = await createBroker({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await broker?.close();
});

defineClientMatrix({ name: 'glassmq', port: () => broker.port });

test('glassmq: v5 sub reports the broker\'s DISCONNECT reason (0x8B Server shutting down) and exits 1', async () => {
  const own = await createBroker({ host: '127.0.0.1', port: 0 });
  let closed = false;
  try {
    const sub = await startGlassmqSub(['-h', '127.0.0.1', '-p', String(own.port), '-V', '5', '-t', uniqueTopic('shutdown')]);
    await own.close();
    closed = true;
    const r = await sub.done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^received DISCONNECT 0x8b/m);
    assert.match(r.stderr, /^Error: Disconnected by the broker: Server shutting down\.$/m);
  } finally {
    if (!closed) await own.close();
  }
});
