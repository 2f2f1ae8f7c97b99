// /metrics: Prometheus text exposition (format 0.0.4) whose counters move with real MQTT traffic.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerWithDashboard, connectClient, eventually } from './support.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|\+Inf|-Inf))(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** A strict reader of the text format: every line is a HELP, a TYPE, or a sample of a declared metric. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k!] = v!;
    const base = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]!) || types.has(base), `sample of an undeclared metric: ${m[1]}`);
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  assert.ok(s, `no sample ${name} ${JSON.stringify(labels)}`);
  return s.value;
}

async function scrape(base: string): Promise<{ types: Map<string, string>; samples: Sample[] }> {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

describe('/metrics', () => {
  test('parses as Prometheus text; message, byte and connection counters move with traffic', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const before = await scrape(base);
    assert.equal(before.types.get('glassmq_messages_received_total'), 'counter');
    assert.equal(before.types.get('glassmq_connections'), 'gauge');
    assert.equal(value(before.samples, 'glassmq_messages_received_total'), 0);

    const sub = await connectClient(t, mqttUrl, { clientId: 'm-sub' });
    await sub.subscribeAsync('m/#', { qos: 1 });
    const pub = await connectClient(t, mqttUrl, { clientId: 'm-pub' });
    const received = new Promise<void>((resolve) => {
      let n = 0;
      sub.on('message', () => ++n === 5 && resolve());
    });
    for (let i = 0; i < 5; i++) await pub.publishAsync('m/x', `payload ${i}`, { qos: 1, retain: i === 4 });
    await received;

    const after = await scrape(base);
    const s = after.samples;
    assert.equal(value(s, 'glassmq_messages_received_total'), 5);
    assert.equal(value(s, 'glassmq_messages_sent_total'), 5);
    assert.ok(value(s, 'glassmq_bytes_received_total') > value(before.samples, 'glassmq_bytes_received_total'));
    assert.ok(value(s, 'glassmq_bytes_sent_total') > 0);
    assert.equal(value(s, 'glassmq_connections'), 2);
    assert.equal(value(s, 'glassmq_connections_total'), 2);
    assert.equal(value(s, 'glassmq_subscriptions'), 1);
    assert.equal(value(s, 'glassmq_retained_messages'), 1);
    assert.equal(value(s, 'glassmq_messages_dropped_total', { reason: 'queue_full' }), 0);
    assert.ok(value(s, 'glassmq_listener_connections', { transport: 'tcp' }) === 2);

    pub.end(true);
    await eventually(async () => (value((await scrape(base)).samples, 'glassmq_connections') === 1 ? true : undefined));
  });

  test('QoS 0 messages to a subscriber that left with a session are counted as dropped', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const sub = await connectClient(t, mqttUrl, { clientId: 'm-offline', clean: false });
    await sub.subscribeAsync('drop/me', { qos: 0 });
    await new Promise<void>((resolve) => sub.end(false, {}, () => resolve()));
    const pub = await connectClient(t, mqttUrl, { clientId: 'm-pub2' });
    await pub.publishAsync('drop/me', 'lost', { qos: 0 });
    await eventually(async () => (value((await scrape(base)).samples, 'glassmq_messages_dropped_total', { reason: 'qos0_buffer_full' }) === 1 ? true : undefined));
  });

  test('two brokers in one process keep separate registries', async (t) => {
    const a = await brokerWithDashboard(t);
    const b = await brokerWithDashboard(t);
    const c = await connectClient(t, a.mqttUrl, { clientId: 'only-a' });
    await c.publishAsync('x', 'y');
    assert.equal(value((await scrape(a.base)).samples, 'glassmq_messages_received_total'), 1);
    assert.equal(value((await scrape(b.base)).samples, 'glassmq_messages_received_total'), 0);
  });
});
