// The dashboard's JSON API against a real broker and MQTT.js clients: what the UI and scripts read and do.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerWithDashboard, connectClient, eventually, getJson } from './support.js';

type Json = Record<string, any>;

describe('dashboard JSON API', () => {
  test('GET /healthz answers ok without a token', async (t) => {
    const { base } = await brokerWithDashboard(t);
    const { status, body } = await getJson(`${base}/healthz`);
    assert.equal(status, 200);
    assert.equal(body.status, 'ok');
  });

  test('GET /api/overview counts connections, subscriptions, retained messages and listeners', async (t) => {
    const { base, mqttUrl, running } = await brokerWithDashboard(t);
    const c = await connectClient(t, mqttUrl, { clientId: 'ov-1' });
    await c.subscribeAsync('ov/#');
    await c.publishAsync('ov/r', 'kept', { retain: true, qos: 1 });
    const { status, body } = await getJson<Json>(`${base}/api/overview`);
    assert.equal(status, 200);
    assert.equal(body.connections, 1);
    assert.equal(body.subscriptions, 1);
    assert.equal(body.retained, 1);
    assert.equal(body.totals.messagesIn, 1);
    assert.ok(body.totals.bytesIn > 0);
    assert.equal(typeof body.uptime, 'number');
    assert.ok(Array.isArray(body.history));
    assert.deepEqual(body.listeners, [{ name: `tcp:127.0.0.1:${running.port}`, transport: 'tcp', address: `127.0.0.1:${running.port}`, connections: 1 }]);
  });

  test('GET /api/clients lists each client with transport, protocol, keepalive, subscriptions, inflight, queued and bytes', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const c = await connectClient(t, mqttUrl, { clientId: 'cl-5', protocolVersion: 5, keepalive: 30, username: 'alice' });
    await c.subscribeAsync('a/+', { qos: 1 });
    const { body } = await getJson<Json>(`${base}/api/clients`);
    assert.equal(body.clients.length, 1);
    const v = body.clients[0];
    assert.equal(v.clientId, 'cl-5');
    assert.equal(v.username, 'alice');
    assert.equal(v.transport, 'tcp');
    assert.equal(v.protocolVersion, 5);
    assert.equal(v.protocol, '5.0');
    assert.equal(v.keepalive, 30);
    assert.match(v.address, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(v.subscriptions, [{ filter: 'a/+', qos: 1 }]);
    assert.equal(v.inflight, 0);
    assert.equal(v.queued, 0);
    assert.ok(v.bytesIn > 0 && v.bytesOut > 0);
    const one = await getJson<Json>(`${base}/api/clients/cl-5`);
    assert.equal(one.body.client.clientId, 'cl-5');
    const none = await getJson<Json>(`${base}/api/clients/nobody`);
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, 'CLIENT_NOT_CONNECTED');
  });

  test('v5 DELETE /api/clients/:id disconnects the client with DISCONNECT 0x98 (Administrative action)', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const c = await connectClient(t, mqttUrl, { clientId: 'kick/me', protocolVersion: 5 });
    const disconnected = new Promise<number | undefined>((resolve) => c.once('disconnect', (p) => resolve(p.reasonCode)));
    const { status, body } = await getJson<Json>(`${base}/api/clients/${encodeURIComponent('kick/me')}`, { method: 'DELETE' });
    assert.equal(status, 200);
    assert.equal(body.disconnected, true);
    assert.equal(await disconnected, 0x98);
    await eventually(async () => ((await getJson<Json>(`${base}/api/clients`)).body.clients.length === 0 ? true : undefined));
  });

  test('POST /api/publish reaches a subscriber; retain=true stores it (GET /api/retained)', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const sub = await connectClient(t, mqttUrl, { clientId: 'pub-sub' });
    await sub.subscribeAsync('dash/#', { qos: 1 });
    const got = new Promise<[string, Buffer]>((resolve) => sub.once('message', (topic, payload) => resolve([topic, payload])));
    const res = await getJson<Json>(`${base}/api/publish`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ topic: 'dash/bin', payload: '00ff10', encoding: 'hex', qos: 1, retain: true }),
    });
    assert.equal(res.status, 202);
    const [topic, payload] = await got;
    assert.equal(topic, 'dash/bin');
    assert.deepEqual(payload, Buffer.from([0x00, 0xff, 0x10]));
    const retained = await getJson<Json>(`${base}/api/retained`);
    assert.equal(retained.body.retained.length, 1);
    assert.equal(retained.body.retained[0].topic, 'dash/bin');
    assert.equal(retained.body.retained[0].payload.format, 'hex');
    assert.equal(retained.body.retained[0].payload.hex, '00ff10');
  });

  test('[MQTT-3.3.2-2] POST /api/publish refuses a topic name with wildcards; non-JSON bodies are refused', async (t) => {
    const { base } = await brokerWithDashboard(t);
    const wild = await getJson<Json>(`${base}/api/publish`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ topic: 'a/+', payload: 'x' }) });
    assert.equal(wild.status, 400);
    assert.equal(wild.body.error.code, 'BAD_TOPIC');
    const form = await getJson<Json>(`${base}/api/publish`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"topic":"a","payload":"x"}' });
    assert.equal(form.status, 415);
    assert.equal(form.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const qos = await getJson<Json>(`${base}/api/publish`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ topic: 'a', qos: 3 }) });
    assert.equal(qos.status, 400);
  });

  test('GET /api/topics shows a published topic with its JSON payload, its subscribers ($share included) and publisher; /api/flow links them', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    // the publish hook runs while a Topics view is open: hold its live stream open like a browser does
    const ac = new AbortController();
    t.after(() => ac.abort());
    const events = await fetch(`${base}/api/events?watch=topics`, { signal: ac.signal });
    assert.equal(events.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const sub = await connectClient(t, mqttUrl, { clientId: 'tp-sub' });
    await sub.subscribeAsync('$share/g/room/+/temp');
    const pub = await connectClient(t, mqttUrl, { clientId: 'tp-pub' });
    await pub.publishAsync('room/1/temp', '{"c":20}', { qos: 1 });
    const topic = await eventually(async () => (await getJson<Json>(`${base}/api/topics`)).body.topics.find((x: Json) => x.topic === 'room/1/temp'));
    assert.equal(topic.count, 1);
    assert.equal(topic.payload.format, 'json');
    assert.equal(topic.payload.value, '{"c":20}');
    assert.deepEqual(topic.subscribers, [{ clientId: 'tp-sub', filter: '$share/g/room/+/temp', qos: 0 }]);
    assert.deepEqual(topic.publishers, [{ clientId: 'tp-pub', count: 1 }]);
    const flow = await getJson<Json>(`${base}/api/flow`);
    assert.deepEqual(
      flow.body.edges.filter((e: Json) => e.topic === 'room/1/temp').sort((a: Json, b: Json) => a.kind.localeCompare(b.kind)),
      [
        { kind: 'pub', client: 'tp-pub', topic: 'room/1/temp' },
        { kind: 'sub', client: 'tp-sub', topic: 'room/1/temp' },
      ],
    );
  });

  test('with no Topics/Flow view open the broker runs its own hooks only (the publish hook is put back)', async (t) => {
    const { base, running } = await brokerWithDashboard(t);
    assert.equal(running.broker.hooks.published, undefined);
    const overview = new AbortController();
    t.after(() => overview.abort());
    const first = await fetch(`${base}/api/events?watch=overview`, { signal: overview.signal });
    await first.body!.getReader().read();
    assert.equal(running.broker.hooks.published, undefined, 'the Overview adds nothing per message');
    const ac = new AbortController();
    const res = await fetch(`${base}/api/events?watch=overview,clients,flow`, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    assert.equal(typeof running.broker.hooks.published, 'function');
    ac.abort();
    await eventually(() => (running.broker.hooks.published === undefined ? true : undefined));
  });

  test('GET /api/events streams an overview sample and the client list as Server-Sent Events', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    await connectClient(t, mqttUrl, { clientId: 'sse-1' });
    const ac = new AbortController();
    t.after(() => ac.abort());
    const res = await fetch(`${base}/api/events?watch=overview,clients`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    await eventually(async () => {
      const { value } = await reader.read();
      text += Buffer.from(value ?? []).toString('utf8');
      return /event: clients\ndata: .*"sse-1"/.test(text) && /event: overview\ndata: \{/.test(text) ? true : undefined;
    });
  });

  test('GET /api/trace without a trace hub answers 503 TRACE_UNAVAILABLE', async (t) => {
    const { base } = await brokerWithDashboard(t);
    const { status, body } = await getJson<Json>(`${base}/api/trace?type=publish`);
    assert.equal(status, 503);
    assert.equal(body.error.code, 'TRACE_UNAVAILABLE');
  });

  test('unknown API routes answer 404 with a JSON error; static paths never leave web/dist', async (t) => {
    const { base } = await brokerWithDashboard(t);
    const r = await getJson<Json>(`${base}/api/nope`);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
    const escape = await fetch(`${base}/..%2f..%2fpackage.json`);
    assert.equal(escape.status, 404);
  });
});

/** Reads Server-Sent Events from `res` until `check` returns a value for one `event` (bounded by eventually()). */
async function untilEvent<T>(res: Response, event: string, check: (data: Json) => T | undefined, timeoutMs = 8000): Promise<T> {
  const reader = res.body!.getReader();
  let text = '';
  try {
    return await eventually(async () => {
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      text += Buffer.from(value ?? []).toString('utf8');
      const blocks = text.split('\n\n');
      text = blocks.pop()!;
      for (const block of blocks) {
        const match = /^event: (\S+)\ndata: (.*)$/m.exec(block);
        if (match?.[1] !== event) continue;
        const found = check(JSON.parse(match[2]!) as Json);
        if (found !== undefined) return found;
      }
      return undefined;
    }, timeoutMs, 0);
  } finally {
    reader.releaseLock();
  }
}

describe('Clients view: keepalive activity without per-packet work', () => {
  test('[MQTT-3.12.4-1] PINGREQ / PINGRESP show as ticks; packet counts and the last-packet time come from the connection', async (t) => {
    const { base, mqttUrl, running } = await brokerWithDashboard(t);
    assert.equal(running.broker.hooks.pinged, undefined, 'no ping hook while no Clients view is open');
    const ac = new AbortController();
    t.after(() => ac.abort());
    const res = await fetch(`${base}/api/events?watch=clients`, { signal: ac.signal });
    // keepalive 1 s: an idle MQTT.js client sends PINGREQ about once a second
    await connectClient(t, mqttUrl, { clientId: 'ka-1', keepalive: 1 });
    const view = await untilEvent(res, 'clients', (data) => {
      const c = (data.clients as Json[]).find((x) => x.clientId === 'ka-1');
      const types = new Set((c?.pings ?? []).map((p: Json) => p.type));
      return types.has('pingreq') && types.has('pingresp') ? c : undefined;
    });
    assert.equal(typeof running.broker.hooks.pinged, 'function');
    const lastPing = Math.max(...(view.pings as Json[]).filter((p) => p.type === 'pingreq').map((p) => p.at as number));
    assert.ok(view.lastPacketAt >= lastPing, 'the last packet is at least as recent as the last PINGREQ');
    assert.ok(view.packetsIn >= 2, 'CONNECT and a PINGREQ');
    assert.ok(view.packetsOut >= 2, 'CONNACK and a PINGRESP');
    assert.ok(view.bytesIn >= view.packetsIn * 2 && view.bytesOut >= view.packetsOut * 2);
    ac.abort();
    await eventually(() => (running.broker.hooks.pinged === undefined ? true : undefined));
  });

  test('[MQTT-3.1.2-8] v5 DELETE /api/clients/:id: cause administrative-action, and the will is still published', async (t) => {
    const { base, mqttUrl, running } = await brokerWithDashboard(t);
    const causes: string[] = [];
    running.broker.hooks.disconnected = (client, cause) => causes.push(`${client.clientId}:${cause}`);
    const watcher = await connectClient(t, mqttUrl, { clientId: 'will-watch' });
    await watcher.subscribeAsync('wills/#');
    const will = new Promise<string>((resolve) => watcher.on('message', (topic, payload) => resolve(`${topic}=${payload.toString()}`)));
    const c = await connectClient(t, mqttUrl, {
      clientId: 'kick-will',
      protocolVersion: 5,
      reconnectPeriod: 0,
      will: { topic: 'wills/kick-will', payload: Buffer.from('gone'), qos: 0, retain: false },
    });
    const disconnected = new Promise<number | undefined>((resolve) => c.once('disconnect', (p) => resolve(p.reasonCode)));
    const { status } = await getJson<Json>(`${base}/api/clients/kick-will`, { method: 'DELETE' });
    assert.equal(status, 200);
    assert.equal(await disconnected, 0x98); // DISCONNECT 0x98 Administrative action
    assert.equal(await will, 'wills/kick-will=gone'); // [MQTT-3.1.2-8] not a client DISCONNECT 0x00 [MQTT-3.14.4-3]
    await eventually(() => (causes.includes('kick-will:administrative-action') ? true : undefined));
  });
});
